// PartnerDataSource against a scripted fetch: timeouts, which failures are retried, the breaker,
// and the PARTNER_UNAVAILABLE error the gateway passes on to clients.
import { describe, expect, it, vi } from "vitest";
import { GraphQLError } from "graphql";
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { PartnerDataSource, isMutation, type DataSourceOptions } from "./datasource.ts";
import { ManualClock } from "../tests/helpers/clock.ts";

type Step = "ok" | "refused" | "503" | "400" | "hang";

/** A fetch that answers each call with the next step; records the operations it was sent. */
function scripted(steps: Step[]) {
  const calls: string[] = [];
  const impl = (async (_url: string, init: RequestInit) => {
    calls.push(JSON.parse(init.body as string).query);
    const step = steps.shift() ?? "ok";
    if (step === "refused") {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
          code: "ECONNREFUSED",
        }),
      });
    }
    if (step === "hang") {
      return new Promise((_resolve, reject) => {
        init.signal!.addEventListener("abort", () =>
          reject(new DOMException("This operation was aborted", "AbortError")),
        );
      });
    }
    const status = step === "503" ? 503 : step === "400" ? 400 : 200;
    const body = status === 200 ? { data: { ok: true } } : { errors: [{ message: "nope" }] };
    const statusText = { 200: "OK", 400: "Bad Request", 503: "Service Unavailable" }[status];
    return new Response(JSON.stringify(body), {
      status,
      statusText,
      headers: { "content-type": "application/json" },
    });
  }) as unknown as typeof fetch;
  return { impl, calls };
}

function source(steps: Step[], opts: Partial<DataSourceOptions> = {}) {
  const fake = scripted(steps);
  const ds = new PartnerDataSource({
    name: "health",
    url: "http://health.invalid/graphql",
    internalSecret: "test-secret-of-at-least-32-characters",
    fetch: fake.impl,
    retryDelayMs: 1,
    ...opts,
  });
  return { ds, calls: fake.calls };
}

const READ =
  "query Q__health__1($representations:[_Any!]!){_entities(representations:$representations){...on HealthService{name}}}";
const WRITE = 'mutation M__health__0{closeService(id:"health:x"){id}}';

function send(ds: PartnerDataSource, query: string) {
  // The enum is declared in the typings but not exported at runtime; its value is the string.
  const options = { kind: "health check", request: { query, variables: {} }, context: {} };
  return ds.process(options as unknown as GraphQLDataSourceProcessOptions<any>);
}

async function rejection(p: Promise<unknown>): Promise<GraphQLError> {
  try {
    await p;
  } catch (err) {
    return err as GraphQLError;
  }
  throw new Error("expected a rejection");
}

describe("isMutation", () => {
  it("tells subgraph mutations from queries, anonymous queries and fragments", () => {
    expect(isMutation(WRITE)).toBe(true);
    expect(isMutation("  mutation{a}")).toBe(true);
    expect(isMutation("fragment F on T{a} mutation M{b{...F}}")).toBe(true);
    expect(isMutation(READ)).toBe(false);
    expect(isMutation("{mutationCount}")).toBe(false);
    expect(isMutation("query Q{a{mutationLog}}")).toBe(false);
    expect(isMutation(undefined)).toBe(false);
  });
});

describe("PartnerDataSource", () => {
  it("retries a read once after a refused connection, and the read succeeds", async () => {
    const { ds, calls } = source(["refused", "ok"]);
    const res = await send(ds, READ);
    expect(res.data).toEqual({ ok: true });
    expect(calls).toEqual([READ, READ]);
    expect(ds.status()).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      attempts: 2,
      retries: 1,
    });
  });

  it("retries a read after a 5xx", async () => {
    const { ds, calls } = source(["503", "ok"]);
    expect((await send(ds, READ)).data).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
  });

  it("never retries a mutation, and names the partner in the error", async () => {
    const { ds, calls } = source(["refused", "ok"]);
    const err = await rejection(send(ds, WRITE));
    expect(calls).toEqual([WRITE]);
    expect(err).toBeInstanceOf(GraphQLError);
    expect(err.message).toBe('Partner "health" is unavailable: it could not be reached');
    expect(err.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "health",
      reason: "UNREACHABLE",
    });
  });

  it("gives up after one retry", async () => {
    const { ds, calls } = source(["503", "503", "ok"]);
    const err = await rejection(send(ds, READ));
    expect(calls).toHaveLength(2);
    expect(err.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "health",
      reason: "HTTP_ERROR",
    });
    expect(ds.status()).toMatchObject({
      consecutiveFailures: 2,
      lastError: "HTTP 503 Service Unavailable",
    });
  });

  it("does not retry a 4xx or count it against the partner", async () => {
    const { ds, calls } = source(["400", "ok"]);
    const err = await rejection(send(ds, READ));
    expect(calls).toHaveLength(1);
    expect(err.extensions.code).not.toBe("PARTNER_UNAVAILABLE");
    expect(ds.status()).toMatchObject({ breaker: "closed", consecutiveFailures: 0 });
  });

  it("times out a hanging partner after timeoutMs per attempt", async () => {
    // Time moves only when the test moves it: each attempt is held until its timeout, and no longer.
    const clock = new ManualClock();
    const { ds, calls } = source(["hang", "hang"], { timeoutMs: 50, clock });
    let settled = false;
    const pending = rejection(send(ds, READ)).finally(() => (settled = true));
    for (const n of [1, 2]) {
      await vi.waitFor(() => expect(calls).toHaveLength(n), { timeout: 10_000 });
      expect(settled).toBe(false);
      clock.advance(49);
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      expect(calls).toHaveLength(n);
      clock.advance(1);
    }
    const err = await pending;
    expect(calls).toHaveLength(2);
    expect(err.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "health",
      reason: "TIMEOUT",
    });
    expect(err.message).toBe('Partner "health" is unavailable: timed out after 50 ms');
  });

  it("opens the circuit after N failed attempts, then fails fast without calling the partner", async () => {
    const { ds, calls } = source(Array(10).fill("refused"), {
      failureThreshold: 3,
      coolDownMs: 60_000,
    });
    await rejection(send(ds, READ)); // attempts 1 and 2
    const second = await rejection(send(ds, READ)); // attempt 3 opens it; the retry is refused
    expect(second.extensions.reason).toBe("UNREACHABLE");
    expect(calls).toHaveLength(3);
    const fast = await rejection(send(ds, READ));
    expect(calls).toHaveLength(3);
    expect(fast.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "health",
      reason: "CIRCUIT_OPEN",
    });
    expect(fast.extensions.retryAfterMs).toBeGreaterThan(59_000);
    expect(ds.status()).toMatchObject({
      breaker: "open",
      consecutiveFailures: 3,
      lastError: "connection refused",
      failedFast: 2,
    });
    expect(typeof ds.status().openUntil).toBe("string");
  });

  it("half-opens after the cool-down and closes when the trial succeeds", async () => {
    const clock = new ManualClock();
    const { ds, calls } = source(["refused", "refused", "ok"], {
      failureThreshold: 2,
      coolDownMs: 30,
      retries: 0,
      clock,
    });
    await rejection(send(ds, READ));
    await rejection(send(ds, READ));
    expect(ds.status().breaker).toBe("open");
    clock.advance(29);
    expect(ds.status().breaker).toBe("open");
    clock.advance(1);
    expect(ds.status().breaker).toBe("half-open");
    expect((await send(ds, READ)).data).toEqual({ ok: true });
    expect(calls).toHaveLength(3);
    expect(ds.status()).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      openUntil: null,
    });
  });

  it("signs the claims header on every attempt", async () => {
    const headers: string[] = [];
    let n = 0;
    const ds = new PartnerDataSource({
      name: "council",
      url: "http://council.invalid/graphql",
      internalSecret: "s".repeat(32),
      retryDelayMs: 1,
      fetch: (async (_url: string, init: RequestInit) => {
        headers.push(Object.keys(init.headers as Record<string, string>).join(","));
        if (n++ === 0) throw new TypeError("fetch failed");
        return new Response('{"data":{}}', { headers: { "content-type": "application/json" } });
      }) as unknown as typeof fetch,
    });
    await send(ds, READ);
    expect(headers).toHaveLength(2);
    for (const h of headers) expect(h.toLowerCase()).toContain("x-wayfinder-claims");
  });
});

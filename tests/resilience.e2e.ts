// Whole stack, PGlite databases: a partner that dies, hangs or flakes costs the others nothing.
// Timeouts, the read retry and the circuit breaker in gateway/datasource.ts, and hot reload of the
// supergraph file under load. Every gateway here keeps partner time on manual clocks
// (tests/helpers/clock.ts): a healthy call never times out however slow the machine is, and a test
// times out a hung call, or ends a cool-down, by moving the clock once the call has arrived.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startTestStack,
  testGatewayConfig,
  gql,
  eventually,
  type GqlResult,
} from "./helpers/stack.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { mintDevToken } from "../gateway/auth.ts";
import type { PartnerPolicy } from "../gateway/datasource.ts";
import { NORFOLK } from "./fixtures/dataset.ts";
import { manualClocks, type ManualClock } from "./helpers/clock.ts";

// The production defaults are a 3 s timeout and a 5 s cool-down; the gateways these tests start
// use their own policy, on manual clocks.
const testPolicy = { current: {} as Partial<PartnerPolicy> };

const POLICY: Partial<PartnerPolicy> = {
  timeoutMs: 600,
  retries: 1,
  retryDelayMs: 10,
  failureThreshold: 3,
  coolDownMs: 1000,
};
testPolicy.current = POLICY;

// /ready's connection detail (breaker, failures) is for operators.
const OPERATOR_TOKEN = "resilience-operator-token-0123456789";

const SUBGRAPHS = ["council", "charity", "health", "directory"] as const;
/** How long the tests wait for an event (an arrival, a breaker state): a deadline for a hang only. */
const PATIENCE = 60_000;

let stack: Awaited<ReturnType<typeof startTestStack>>;
const stackClocks = manualClocks(SUBGRAPHS);
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // These tests count the calls reaching a partner: the route replica's own feed reads are off.
  stack = await startTestStack("pglite", {
    partnerPolicy: POLICY,
    env: { OPERATOR_TOKEN, GATEWAY_ROUTE_REPLICA: "false" },
    clocks: stackClocks,
  });
});
afterEach(async () => {
  testPolicy.current = POLICY;
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});
afterAll(async () => {
  await stack?.close();
});

const SEARCH = /* GraphQL */ `
  query Norfolk($la: [String!]) {
    searchServices(filter: { localAuthorities: $la }, sort: NAME, first: 50) {
      edges {
        node {
          id
          partner
          name
          email
        }
      }
    }
  }
`;
const CAMHS = /* GraphQL */ `
  {
    service(id: "health:camhs-norwich") {
      id
      name
      email
    }
  }
`;
const COUNCIL_AND_CHARITY = [
  "Norwich Family Hub",
  "Norfolk Early Help Team",
  "Child bereavement support Norfolk",
];
const HEALTH_NAME = "CAMHS Getting Help – Norwich";
const CAMHS_ANSWER = {
  id: "health:camhs-norwich",
  name: HEALTH_NAME,
  email: "camhs-norwich@example.org.uk",
};
// Partner updates (the first mutations) are being added alongside; the mutation test waits for them.
const HAS_HEALTH_MUTATION = (await readFile("schema/supergraph.graphql", "utf8")).includes(
  "updateHealthService(",
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (res: GqlResult) =>
  (res.data?.searchServices?.edges ?? []).map((e: any) => e.node?.name ?? null);
const reasons = (res: GqlResult) => (res.errors ?? []).map((e) => e.extensions?.reason);
/** A service's email in a search answer: only its partner has it (the directory's copy does not). */
const emailOf = (res: GqlResult, name: string) =>
  (res.data?.searchServices?.edges ?? []).find((e: any) => e.node?.name === name)?.node.email;

// The public read cache answers anonymous reads without the partners, so every request here is a
// professional's: each one reaches the partner it is about.
const PROFESSIONAL = await mintDevToken({ role: "professional", sub: "resilience" });
async function ask(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GqlResult> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "apollo-require-preflight": "true",
      authorization: `Bearer ${PROFESSIONAL}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

/** A request in flight: `settled` says whether it has answered yet. */
function inFlight<T>(promise: Promise<T>) {
  const tracked = { settled: false, result: promise };
  tracked.result = promise.finally(() => {
    tracked.settled = true;
  });
  return tracked;
}

async function ready(gatewayUrl: string) {
  const res = await fetch(new URL("/ready", gatewayUrl), {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  return (await res.json()) as {
    status: string;
    subgraphs: Record<string, string>;
    connections: Record<
      string,
      {
        breaker: string;
        consecutiveFailures: number;
        lastError: string | null;
        openUntil: string | null;
        retries: number;
      }
    >;
  };
}

interface Sample {
  start: number;
  end: number;
  status: number;
  body: GqlResult;
}

/**
 * Runs `concurrency` request loops until stop() resolves; keeps every response. Each loop is its
 * own client (its own token) and keeps under the gateway's per-client rate limit, so every
 * answer is about the partners, never a 429.
 */
function load(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  concurrency: number,
  perClientRps = 15,
) {
  const samples: Sample[] = [];
  let running = true;
  const worker = async (i: number) => {
    const token = await mintDevToken({ role: "professional", sub: `resilience-load-${i}` });
    while (running) {
      const start = performance.now();
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "apollo-require-preflight": "true",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ query, variables }),
        });
        const text = await res.text();
        let body: GqlResult;
        try {
          body = JSON.parse(text);
        } catch {
          body = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
        }
        samples.push({ start, end: performance.now(), status: res.status, body });
      } catch (err) {
        samples.push({
          start,
          end: performance.now(),
          status: 0,
          body: { errors: [{ message: String(err) }] },
        });
      }
      await sleep(Math.max(0, start + 1000 / perClientRps - performance.now()));
    }
  };
  const workers = Array.from({ length: concurrency }, (_, i) => worker(i));
  return {
    samples,
    /** Resolves once `n` answers that started after `since` (performance.now()) are in. */
    async answered(n: number, since = 0) {
      await eventually(
        async () => expect(samples.filter((s) => s.start > since).length).toBeGreaterThanOrEqual(n),
        PATIENCE,
      );
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return samples;
    },
  };
}

/**
 * A stand-in for a partner with problems, in front of the real one: it can delay, hang, answer 503
 * or drop the connection. /health always passes through, as a load balancer's check would.
 */
async function startFlakyProxy(target: string) {
  const ctl = {
    /** Delay before forwarding each GraphQL request. */
    delayMs: 0,
    /** Never answer GraphQL requests. */
    hang: false,
    /** Fail this many of the next GraphQL requests, then behave. */
    failNext: 0,
    failWith: "503" as "503" | "reset",
    /** GraphQL requests received. */
    requests: 0,
  };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const upstream = new URL(target);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    // The gateway's readiness probes (signed GraphQL, like real calls) are not the calls under test.
    const isGraphql =
      req.url !== "/health" && !Buffer.concat(chunks).includes("__ApolloServiceHealthCheck__");
    if (isGraphql) {
      ctl.requests++;
      if (ctl.hang) return;
      if (ctl.failNext > 0) {
        ctl.failNext--;
        if (ctl.failWith === "reset") return req.socket.destroy();
        res.writeHead(503, { "content-type": "text/plain" }).end("partner overloaded");
        return;
      }
      if (ctl.delayMs) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => (timers.delete(t), r()), ctl.delayMs);
          timers.add(t);
        });
        if (res.destroyed) return;
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length"].includes(k))
        headers[k] = v;
    }
    try {
      const out = await fetch(new URL(req.url ?? "/", upstream), {
        method: req.method,
        headers,
        body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
      });
      const body = await out.text();
      res
        .writeHead(out.status, {
          "content-type": out.headers.get("content-type") ?? "application/json",
        })
        .end(body);
    } catch {
      if (!res.destroyed) res.writeHead(502).end();
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const proxy = {
    ctl,
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    /** Resolves once the partner behind the proxy has received `n` GraphQL requests in all. */
    async arrived(n: number) {
      await eventually(async () => expect(ctl.requests).toBeGreaterThanOrEqual(n), PATIENCE);
      expect(ctl.requests).toBe(n);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  cleanups.push(() => proxy.close());
  return proxy;
}

/**
 * The real gateway, on port 0, with one partner (or none) reached through a proxy, and a manual
 * clock per subgraph (`gw.clocks`).
 */
async function gatewayWith(
  overrides: Record<string, string> = {},
  supergraphPath = "schema/supergraph.graphql",
): Promise<RunningGateway & { clocks: Record<(typeof SUBGRAPHS)[number], ManualClock> }> {
  const clocks = manualClocks(SUBGRAPHS);
  const subgraphUrls = {
    council: stack.partners.council.url,
    charity: stack.partners.charity.url,
    health: stack.partners.health.url,
    directory: stack.directory.http.url,
    ...overrides,
  };
  const gw = await startGateway({
    ...testGatewayConfig({ routeReplica: false }),
    supergraphPath,
    subgraphUrls,
    host: "127.0.0.1",
    port: 0,
    partnerPolicy: testPolicy.current,
    operatorToken: OPERATOR_TOKEN,
    readyCacheMs: 0,
    clocks,
  });
  cleanups.push(() => gw.close());
  return Object.assign(gw, { clocks });
}

function expectOnlyPartnerUnavailable(res: GqlResult, partner: string) {
  expect(res.errors?.length).toBeGreaterThan(0);
  for (const e of res.errors!) {
    expect(e.extensions).toMatchObject({ code: "PARTNER_UNAVAILABLE", partner });
  }
}

describe("a partner killed mid-run", () => {
  it("keeps answering with the others' data, names the partner in errors and /ready, and recovers after restart", async () => {
    const baseline = await ask(stack.gatewayUrl, SEARCH, { la: [NORFOLK] });
    expect(baseline.errors).toBeUndefined();
    expect(names(baseline)).toEqual(expect.arrayContaining([...COUNCIL_AND_CHARITY, HEALTH_NAME]));
    const health = stackClocks.health!;

    const run = load(stack.gatewayUrl, SEARCH, { la: [NORFOLK] }, 4);
    await run.answered(4);
    await stack.stopPartner("health");
    const stoppedAt = performance.now();
    let restartedAt = 0;
    /** Answers to requests made one at a time while the partner was down. */
    const whileDown: GqlResult[] = [];
    try {
      // Enough failures to open the circuit: later calls fail fast instead of trying the partner.
      const down = await eventually(async () => {
        whileDown.push(await ask(stack.gatewayUrl, SEARCH, { la: [NORFOLK] }));
        const r = await ready(stack.gatewayUrl);
        expect(r.connections.health!.breaker).toBe("open");
        return r;
      }, PATIENCE);
      expect(down.status).toBe("degraded");
      expect(down.subgraphs.health).toBe("down");
      expect(down.connections.health).toMatchObject({
        breaker: "open",
        consecutiveFailures: expect.any(Number),
        lastError: expect.any(String),
        openUntil: expect.any(String),
      });
      expect(down.connections.health!.consecutiveFailures).toBeGreaterThanOrEqual(3);
      expect(down.connections.council).toMatchObject({ breaker: "closed", consecutiveFailures: 0 });
      // Open (its clock stands still, so it stays open): answers no longer wait on the dead partner.
      for (let i = 0; i < 3; i++) {
        const res = await ask(stack.gatewayUrl, SEARCH, { la: [NORFOLK] });
        whileDown.push(res);
        expect(reasons(res)).toEqual(["CIRCUIT_OPEN"]);
      }
    } finally {
      await stack.startPartner("health");
      restartedAt = performance.now();
    }
    // Back, but the circuit stays open until its cool-down has passed …
    const stillOpen = await ask(stack.gatewayUrl, SEARCH, { la: [NORFOLK] });
    expect(reasons(stillOpen)).toEqual(["CIRCUIT_OPEN"]);
    // … then the next trial finds it back.
    health.advance(POLICY.coolDownMs!);
    await eventually(async () => {
      const res = await ask(stack.gatewayUrl, SEARCH, { la: [NORFOLK] });
      expect(res.errors).toBeUndefined();
      expect(emailOf(res, HEALTH_NAME)).toBe(CAMHS_ANSWER.email);
    }, PATIENCE);
    const recoveredAt = performance.now();
    await run.answered(4, recoveredAt);
    const samples = await run.stop();
    expect((await ready(stack.gatewayUrl)).connections.health).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      openUntil: null,
    });

    // Requests that started after the partner was gone and ended before it was back.
    const during = [
      ...samples.filter((s) => s.start > stoppedAt && s.end < restartedAt).map((s) => s.body),
      ...whileDown,
    ];
    expect(whileDown.length).toBeGreaterThanOrEqual(4);
    for (const s of samples) {
      // Every response is a normal GraphQL answer with the council's and the charity's services.
      expect(s.status).toBe(200);
      expect(names(s.body)).toEqual(expect.arrayContaining(COUNCIL_AND_CHARITY));
      if (s.body.errors) expectOnlyPartnerUnavailable(s.body, "health");
    }
    for (const body of during) {
      expect(names(body)).toEqual(expect.arrayContaining(COUNCIL_AND_CHARITY));
      expectOnlyPartnerUnavailable(body, "health");
      // The health service's own fields could not be fetched (the directory's copy still names
      // it); the others are whole.
      expect(emailOf(body, HEALTH_NAME) ?? null).toBeNull();
      for (const n of COUNCIL_AND_CHARITY) expect(emailOf(body, n)).toMatch(/@example\.org\.uk$/);
    }
    const after = samples.filter((s) => s.start > recoveredAt);
    expect(after.length).toBeGreaterThanOrEqual(4);
    for (const s of after) expect(s.body.errors).toBeUndefined();
  });
});

describe("a slow partner", () => {
  it("hits the timeout and answers PARTNER_UNAVAILABLE without waiting for the partner, with everyone else's data", async () => {
    const proxy = await startFlakyProxy(stack.partners.health.url);
    const gw = await gatewayWith({ health: proxy.url });
    expect((await ask(gw.url, SEARCH, { la: [NORFOLK] })).errors).toBeUndefined();
    await proxy.arrived(1);

    // The partner takes the call and never answers.
    proxy.ctl.hang = true;
    const req = inFlight(ask(gw.url, SEARCH, { la: [NORFOLK] }));
    for (const attempt of [2, 3]) {
      await proxy.arrived(attempt);
      // Held by the partner until its timeout.
      expect(req.settled).toBe(false);
      gw.clocks.health.advance(600);
    }
    const res = await req.result;
    expect(res.errors).toEqual([
      expect.objectContaining({
        message: 'Partner "health" is unavailable: timed out after 600 ms',
        extensions: expect.objectContaining({
          code: "PARTNER_UNAVAILABLE",
          partner: "health",
          reason: "TIMEOUT",
        }),
      }),
    ]);
    expect(names(res)).toEqual(expect.arrayContaining(COUNCIL_AND_CHARITY));
    expect(emailOf(res, HEALTH_NAME) ?? null).toBeNull();
    for (const n of COUNCIL_AND_CHARITY) expect(emailOf(res, n)).toMatch(/@example\.org\.uk$/);
    // One attempt and one retry, each timed out; no third.
    expect(proxy.ctl.requests).toBe(3);
  });
});

describe("retrying reads", () => {
  it("retries a read once when the first attempt gets a 503 or a dropped connection", async () => {
    const proxy = await startFlakyProxy(stack.partners.health.url);
    const gw = await gatewayWith({ health: proxy.url });

    proxy.ctl.failNext = 1;
    const after503 = await ask(gw.url, CAMHS);
    expect(after503).toEqual({
      data: { service: CAMHS_ANSWER },
    });
    expect(proxy.ctl.requests).toBe(2);

    proxy.ctl.failNext = 1;
    proxy.ctl.failWith = "reset";
    const afterReset = await ask(gw.url, CAMHS);
    expect(afterReset).toEqual({
      data: { service: CAMHS_ANSWER },
    });
    expect(proxy.ctl.requests).toBe(4);

    expect((await ready(gw.url)).connections.health).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      retries: 2,
    });
  });

  it("gives up after the one retry", async () => {
    const proxy = await startFlakyProxy(stack.partners.health.url);
    const gw = await gatewayWith({ health: proxy.url });
    proxy.ctl.failNext = 2;
    const res = await ask(gw.url, CAMHS);
    expect(proxy.ctl.requests).toBe(2);
    expect(res.data?.service?.email ?? null).toBeNull();
    expect(res.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({
          code: "PARTNER_UNAVAILABLE",
          partner: "health",
          reason: "HTTP_ERROR",
        }),
      }),
    ]);
  });

  // gateway/datasource.test.ts checks the same decision against a scripted fetch.
  it.runIf(HAS_HEALTH_MUTATION)("never retries a mutation", async () => {
    const proxy = await startFlakyProxy(stack.partners.health.url);
    const gw = await gatewayWith({ health: proxy.url });
    const token = await mintDevToken({
      role: "partner-admin",
      partner: "health",
      sub: "resilience@nhs.example",
    });
    const mutate = async () => {
      const res = await fetch(gw.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "apollo-require-preflight": "true",
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({
          query: /* GraphQL */ `
            mutation {
              updateHealthService(
                id: "health:camhs-norwich"
                expectedVersion: 1
                input: { email: "x@example.org" }
              ) {
                id
              }
            }
          `,
        }),
      });
      return (await res.json()) as GqlResult;
    };
    // Both failures happen before the partner sees the mutation, so nothing is written.
    for (const [i, failWith] of (["503", "reset"] as const).entries()) {
      proxy.ctl.failNext = 1;
      proxy.ctl.failWith = failWith;
      const res = await mutate();
      expect(proxy.ctl.requests).toBe(i + 1);
      expect(proxy.ctl.failNext).toBe(0);
      expect(res.data ?? null).toBeNull();
      expect(res.errors).toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({
            code: "PARTNER_UNAVAILABLE",
            partner: "health",
            reason: failWith === "503" ? "HTTP_ERROR" : "UNREACHABLE",
          }),
        }),
      ]);
    }
    expect((await ready(gw.url)).connections.health).toMatchObject({ retries: 0 });
  });
});

describe("the circuit breaker", () => {
  it("opens after N failures and fails fast, half-opens after the cool-down with one trial, and closes when it succeeds", async () => {
    testPolicy.current = {
      timeoutMs: 800,
      retries: 1,
      retryDelayMs: 10,
      failureThreshold: 3,
      coolDownMs: 1500,
    };
    const proxy = await startFlakyProxy(stack.partners.health.url);
    const gw = await gatewayWith({ health: proxy.url });
    const clock = gw.clocks.health;
    proxy.ctl.hang = true;

    /** Lets the call numbered `n` reach the hung partner, then times it out. */
    const timeOut = async (n: number, req: { settled: boolean }) => {
      await proxy.arrived(n);
      expect(req.settled).toBe(false);
      clock.advance(800);
    };
    const first = inFlight(ask(gw.url, CAMHS));
    await timeOut(1, first);
    await timeOut(2, first); // attempts 1 and 2 time out
    const second = inFlight(ask(gw.url, CAMHS));
    await timeOut(3, second); // attempt 3 times out and opens it; no retry through an open circuit
    for (const r of [await first.result, await second.result]) {
      expect(r.errors?.[0]?.extensions).toMatchObject({
        code: "PARTNER_UNAVAILABLE",
        partner: "health",
        reason: "TIMEOUT",
      });
    }
    expect(proxy.ctl.requests).toBe(3);
    expect((await ready(gw.url)).connections.health).toMatchObject({
      breaker: "open",
      consecutiveFailures: 3,
      lastError: "timed out after 800 ms",
    });

    // Open: answered at once (the partner still hangs and no time passes) without calling it.
    const fast = await ask(gw.url, CAMHS);
    expect(proxy.ctl.requests).toBe(3);
    expect(fast.data?.service?.email ?? null).toBeNull();
    expect(fast.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({
          code: "PARTNER_UNAVAILABLE",
          partner: "health",
          reason: "CIRCUIT_OPEN",
        }),
      }),
    ]);

    // Half-open: of three concurrent requests one is the trial; it times out and re-opens the circuit.
    clock.advance(1500);
    expect((await ready(gw.url)).connections.health!.breaker).toBe("half-open");
    const trio = [0, 1, 2].map(() => inFlight(ask(gw.url, CAMHS)));
    await proxy.arrived(4);
    // The other two fail fast while the trial is still out.
    await eventually(async () => expect(trio.filter((r) => r.settled)).toHaveLength(2), PATIENCE);
    const trial = trio.find((r) => !r.settled)!;
    clock.advance(800);
    const answers = await Promise.all(trio.map((r) => r.result));
    expect(proxy.ctl.requests).toBe(4);
    expect(answers.map((r) => r.errors?.[0]?.extensions?.reason).sort()).toEqual([
      "CIRCUIT_OPEN",
      "CIRCUIT_OPEN",
      "TIMEOUT",
    ]);
    expect((await trial.result).errors?.[0]?.extensions?.reason).toBe("TIMEOUT");
    expect((await ready(gw.url)).connections.health).toMatchObject({
      breaker: "open",
      consecutiveFailures: 4,
    });

    // The partner recovers: the next trial succeeds and closes the circuit.
    proxy.ctl.hang = false;
    clock.advance(1500);
    const back = await ask(gw.url, CAMHS);
    expect(back).toEqual({ data: { service: CAMHS_ANSWER } });
    expect((await ready(gw.url)).connections.health).toMatchObject({
      breaker: "closed",
      consecutiveFailures: 0,
      openUntil: null,
    });
    expect((await ask(gw.url, CAMHS)).errors).toBeUndefined();
  });
});

describe("hot reload of the supergraph file", () => {
  async function supergraphCopy() {
    const dir = await mkdtemp(path.join(tmpdir(), "wayfinder-supergraph-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "supergraph.graphql");
    await copyFile("schema/supergraph.graphql", file);
    const original = await readFile(file, "utf8");
    return {
      file,
      /** The same supergraph with a new description on Query: a reload that must disturb nothing. */
      withQueryDescription(text: string) {
        const next = original.replace(
          /^(?:"""[^"\n]*"""\n)?type Query\b/m,
          `"""${text}"""\ntype Query`,
        );
        expect(next).not.toBe(original);
        return next;
      },
      async replace(sdl: string, how: "write" | "rename") {
        if (how === "rename") {
          // Atomic, as a deploy does it: write beside, rename over.
          await writeFile(`${file}.next`, sdl);
          await rename(`${file}.next`, file);
        } else {
          await writeFile(file, sdl);
        }
      },
    };
  }
  const description = async (url: string) =>
    (await gql(url, `{ __type(name: "Query") { description } }`)).data?.__type?.description;

  it("serves every request while the file is rewritten and replaced, then serves the new schema", async () => {
    const copy = await supergraphCopy();
    const gw = await gatewayWith({}, copy.file);
    expect(await description(gw.url)).toBeNull();

    const run = load(gw.url, SEARCH, { la: [NORFOLK] }, 8);
    await run.answered(8);
    for (const [i, how] of (["rename", "write", "rename"] as const).entries()) {
      const text = `Wayfinder, reload ${i + 1}`;
      await copy.replace(copy.withQueryDescription(text), how);
      await eventually(async () => expect(await description(gw.url)).toBe(text), PATIENCE);
      // Requests keep being answered on the new schema before the next replace.
      await run.answered(8, performance.now());
    }
    const samples = await run.stop();

    const failed = samples.filter(
      (s) => s.status !== 200 || s.body.errors || names(s.body).length === 0,
    );
    expect(failed.map((s) => ({ status: s.status, errors: s.body.errors }))).toEqual([]);
    for (const s of samples)
      expect(names(s.body)).toEqual(expect.arrayContaining([...COUNCIL_AND_CHARITY, HEALTH_NAME]));
  });

  // A watch on the file follows its inode, which a rename replaces: after the first atomic replace
  // every later change went unseen, until gateway/supergraph.ts watched the directory instead.
  it("keeps reloading after the file has been replaced by a rename", async () => {
    const copy = await supergraphCopy();
    const gw = await gatewayWith({}, copy.file);
    await copy.replace(copy.withQueryDescription("first replace"), "rename");
    await eventually(async () => expect(await description(gw.url)).toBe("first replace"), PATIENCE);
    await copy.replace(copy.withQueryDescription("second replace"), "rename");
    await eventually(
      async () => expect(await description(gw.url)).toBe("second replace"),
      PATIENCE,
    );
  });
});

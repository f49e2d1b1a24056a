// Operating Wayfinder, against the real stack: honest readiness (a partner refusing the gateway's
// signed calls is `down`, UNAUTHORIZED; the directory names a feed it cannot read), public /ready
// without internals, cached and rate limited, operator detail behind OPERATOR_TOKEN; Prometheus
// /metrics on every process; one trace across gateway → subgraph (a real OTLP/HTTP receiver); the
// gateway's request id in the subgraph's log lines; CORS on /graphql.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack, testGatewayConfig } from "./helpers/stack.ts";
import {
  sample,
  scrape,
  startOtlpReceiver,
  total,
  type ReceivedSpan,
} from "./helpers/observability.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { startDirectory } from "../subgraphs/directory/start.ts";
import { initTracing, type Tracing } from "../platform/tracing.ts";
import { setLogSink } from "../platform/log.ts";
import { PARTNERS } from "../schema/vocabulary.ts";

const OPERATOR = `op-${randomUUID()}`;
const INTERNAL_SECRET = "the-stacks-own-internal-secret-0123456789";
const WRONG_SECRET = "not-the-stacks-secret-but-long-enough-0123456789";
const SEARCH = /* GraphQL */ `
  query OpsSearch {
    searchServices(filter: { partners: [COUNCIL, HEALTH] }, first: 10) {
      totalCount
      edges {
        node {
          name
          url
          organization {
            name
          }
        }
      }
    }
  }
`;
// `url` is a field only the owning partner has (name and organization name come from the
// directory's copy), so the gateway calls the directory and then council and health. Each call
// gets its own query text, which the public read cache has never seen: every one reaches the subgraphs.
const freshSearch = () => `${SEARCH}# ${randomUUID()}\n`;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let tracing: Tracing | null;
const extra: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // One provider for this test process, exporting over OTLP/HTTP as a deployed process does.
  tracing = initTracing("wayfinder-test", { otlpEndpoint: receiver.url });
  stack = await startTestStack("pglite", { env: { OPERATOR_TOKEN: OPERATOR, INTERNAL_SECRET } });
});
afterAll(async () => {
  for (const x of extra.reverse()) await x.close().catch(() => undefined);
  await stack?.close();
  await tracing?.shutdown();
  await receiver?.close();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const op = { authorization: `Bearer ${OPERATOR}` };
const subgraphUrls = () => ({
  ...Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])),
  directory: stack.directory.http.url,
});

async function gateway(
  opts: Partial<Parameters<typeof startGateway>[0]> = {},
): Promise<RunningGateway> {
  const gw = await startGateway({
    // Readiness probes are counted at the partners: the route replica's own feed reads are off.
    ...testGatewayConfig({ internalSecret: INTERNAL_SECRET, routeReplica: false }),
    host: "127.0.0.1",
    port: 0,
    subgraphUrls: subgraphUrls(),
    rateLimit: false,
    operatorToken: OPERATOR,
    readyCacheMs: 0,
    ...opts,
  });
  extra.push(gw);
  return gw;
}

describe("readiness", () => {
  it("is ready when every subgraph answers signed calls, and tells the public nothing internal", async () => {
    const pub = await getJson(new URL("/ready", stack.gatewayUrl).href);
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({
      status: "ready",
      supergraph: "loaded",
      subgraphs: { council: "up", charity: "up", health: "up", directory: "up" },
      reasons: {},
    });
    expect(pub.body).not.toHaveProperty("connections");
    expect(pub.body).not.toHaveProperty("probes");
    expect(JSON.stringify(pub.body)).not.toMatch(/127\.0\.0\.1|http:|localhost/);

    // A wrong token is the public answer, not an error page.
    const wrong = await getJson(new URL("/ready", stack.gatewayUrl).href, {
      authorization: "Bearer nope",
    });
    expect(wrong.body).not.toHaveProperty("connections");

    const detail = await getJson(new URL("/ready", stack.gatewayUrl).href, op);
    expect(detail.body.connections.council).toMatchObject({
      url: stack.partners.council.url,
      breaker: "closed",
    });
    expect(detail.body.probes.directory).toMatchObject({ up: true, reason: null });
  });

  it("reports every partner down with UNAUTHORIZED when they refuse the gateway's secret", async () => {
    // The production failure: the gateway signs with a secret the subgraphs do not share.
    const gw = await gateway({ internalSecret: WRONG_SECRET });
    const ready = await getJson(new URL("/ready", gw.url).href);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe("unavailable");
    expect(ready.body.subgraphs).toEqual({
      council: "down",
      charity: "down",
      health: "down",
      directory: "down",
    });
    expect(ready.body.reasons).toEqual({
      council: "UNAUTHORIZED",
      charity: "UNAUTHORIZED",
      health: "UNAUTHORIZED",
      directory: "UNAUTHORIZED",
    });
    // …and the real calls do fail, as readiness said.
    const res = await post(gw.url, { query: freshSearch() });
    expect(res.body.data?.searchServices ?? null).toBeNull();
  });

  it("names a partner that is not running as down, UNREACHABLE, and stays in rotation (degraded)", async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const gw = await gateway({
      subgraphUrls: { ...subgraphUrls(), health: `http://127.0.0.1:${port}/graphql` },
    });
    const ready = await getJson(new URL("/ready", gw.url).href);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: "degraded",
      subgraphs: { health: "down", council: "up" },
      reasons: { health: "UNREACHABLE" },
    });
    expect(JSON.stringify(ready.body)).not.toContain(String(port));
    const detail = await getJson(new URL("/ready", gw.url).href, op);
    expect(detail.body.probes.health).toMatchObject({
      up: false,
      reason: "UNREACHABLE",
      error: expect.any(String),
    });
  });

  it("answers many callers from one round of probes", async () => {
    let probes = 0;
    const counting = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      probes++;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && !["host", "content-length", "connection"].includes(k))
          headers[k] = v;
      const upstream = await fetch(new URL(req.url ?? "/", stack.partners.charity.url), {
        method: req.method,
        headers,
        body: Buffer.concat(chunks),
      });
      res
        .writeHead(upstream.status, { "content-type": "application/json" })
        .end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((r) => counting.listen(0, "127.0.0.1", r));
    extra.push({ close: () => new Promise((r) => counting.close(() => r())) });
    const gw = await gateway({
      subgraphUrls: {
        ...subgraphUrls(),
        charity: `http://127.0.0.1:${(counting.address() as AddressInfo).port}/graphql`,
      },
      readyCacheMs: 600_000,
    });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => getJson(new URL("/ready", gw.url).href)),
    );
    answers.push(await getJson(new URL("/ready", gw.url).href));
    for (const a of answers) expect(a.body.subgraphs.charity).toBe("up");
    expect(probes).toBe(1);
  });

  it("is rate limited like every other public route", async () => {
    const gw = await gateway({ rateLimit: { rps: 0.001, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(new URL("/ready", gw.url))).status);
    expect(statuses).toEqual([200, 200, 429]);
    // /health stays free for orchestrators.
    expect((await fetch(new URL("/health", gw.url))).status).toBe(200);
  });

  it("has the directory report a partner whose change feed refuses it", async () => {
    const dir = await startDirectory({
      host: "127.0.0.1",
      port: 0,
      partnerUrls: Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])) as never,
      searchBackend: "embedded",
      meiliIndex: "services",
      syncIntervalMs: 60_000,
      internalSecret: WRONG_SECRET,
      operatorToken: OPERATOR,
    });
    extra.push(dir);
    const ready = await getJson(new URL("/ready", dir.http.url).href);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      status: "syncing",
      partners: { council: "down", charity: "down", health: "down" },
      reasons: { council: "UNAUTHORIZED", charity: "UNAUTHORIZED", health: "UNAUTHORIZED" },
    });
    const detail = await getJson(new URL("/ready", dir.http.url).href, op);
    expect(detail.body.detail[0]).toMatchObject({
      partner: "council",
      reachable: false,
      lastError: "change feed answered 401",
    });

    // The stack's own directory reads every feed.
    const ok = await getJson(new URL("/ready", stack.directory.http.url).href);
    expect(ok.body).toMatchObject({
      status: "ready",
      partners: { council: "up", charity: "up", health: "up" },
      reasons: {},
    });
  });
});

describe("metrics", () => {
  it("are for operators only", async () => {
    expect((await fetch(new URL("/metrics", stack.gatewayUrl))).status).toBe(401);
    expect(
      (
        await fetch(new URL("/metrics", stack.partners.council.url), {
          headers: { authorization: "Bearer x" },
        })
      ).status,
    ).toBe(401);
    // No token configured: closed, whatever is sent.
    const closed = await gateway({ operatorToken: undefined });
    expect(
      (await fetch(new URL("/metrics", closed.url), { headers: { authorization: "Bearer " } }))
        .status,
    ).toBe(401);
  });

  it("count operations, partner calls, errors and breaker state on the gateway, and change after requests", async () => {
    const before = await scrape(stack.gatewayUrl, OPERATOR);
    const ok0 =
      sample(before, "wayfinder_graphql_requests_total", {
        operation: "OpsSearch",
        outcome: "ok",
      }) ?? 0;
    const dir0 =
      sample(before, "wayfinder_partner_requests_total", { partner: "directory", outcome: "ok" }) ??
      0;
    const bad0 =
      sample(before, "wayfinder_graphql_errors_total", { code: "GRAPHQL_VALIDATION_FAILED" }) ?? 0;

    const res = await post(stack.gatewayUrl, { query: freshSearch(), operationName: "OpsSearch" });
    expect(res.body.errors).toBeUndefined();
    await post(stack.gatewayUrl, { query: "{ noSuchField }" });

    const after = await scrape(stack.gatewayUrl, OPERATOR);
    expect(
      sample(after, "wayfinder_graphql_requests_total", { operation: "OpsSearch", outcome: "ok" }),
    ).toBe(ok0 + 1);
    expect(
      sample(after, "wayfinder_graphql_request_duration_seconds_count", { operation: "OpsSearch" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "wayfinder_partner_requests_total", { partner: "directory", outcome: "ok" }),
    ).toBeGreaterThan(dir0);
    expect(
      sample(after, "wayfinder_partner_request_duration_seconds_count", { partner: "council" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "wayfinder_graphql_errors_total", { code: "GRAPHQL_VALIDATION_FAILED" }),
    ).toBe(bad0 + 1);
    for (const p of [...PARTNERS, "directory"])
      expect(sample(after, "wayfinder_partner_breaker_state", { partner: p })).toBe(0);
    expect(
      sample(after, "wayfinder_http_requests_total", { route: "/graphql", status: "200" }),
    ).toBeGreaterThan(0);
  });

  it("show each subgraph's operations, and the directory's sync lag and index size", async () => {
    const council0 = await scrape(stack.partners.council.url, OPERATOR);
    await post(stack.gatewayUrl, { query: freshSearch() });
    const council1 = await scrape(stack.partners.council.url, OPERATOR);
    expect(total(council1, "wayfinder_graphql_requests_total")).toBeGreaterThan(
      total(council0, "wayfinder_graphql_requests_total"),
    );
    expect(
      council1.families.find((f) => f.name === "wayfinder_graphql_request_duration_seconds")?.type,
    ).toBe("HISTOGRAM");

    const dir = await scrape(stack.directory.http.url, OPERATOR);
    for (const p of PARTNERS) {
      expect(sample(dir, "wayfinder_sync_lag_seconds", { partner: p })).toBeGreaterThanOrEqual(0);
      expect(sample(dir, "wayfinder_sync_partner_up", { partner: p })).toBe(1);
    }
    expect(sample(dir, "wayfinder_search_index_documents")).toBe(
      await stack.directory.backend.count(),
    );
    expect(sample(dir, "wayfinder_search_index_documents")).toBeGreaterThan(0);
  });
});

describe("traces and request ids", () => {
  it("carry one trace from the gateway into each subgraph it calls, and the gateway's request id into their logs", async () => {
    const lines: Record<string, unknown>[] = [];
    const restore = setLogSink((line) => lines.push(JSON.parse(line)), "info");
    const requestId = `ops-${randomUUID().slice(0, 8)}`;
    let res;
    try {
      res = await post(
        stack.gatewayUrl,
        { query: freshSearch(), operationName: "OpsSearch" },
        { "x-request-id": requestId },
      );
    } finally {
      restore();
    }
    expect(res.body.errors).toBeUndefined();
    expect(res.headers.get("x-request-id")).toBe(requestId);

    // The subgraphs logged under the gateway's id: the directory (search) and council (entities).
    const mine = lines.filter((l) => l.requestId === requestId && l.event === "subgraph_request");
    expect(mine.length).toBeGreaterThanOrEqual(2);

    await tracing!.forceFlush();
    const spans = await eventually(async () => {
      const root = receiver.spans.find(
        (s) =>
          s.kind === 2 &&
          s.attributes["wayfinder.service"] === "gateway" &&
          mine.some((l) => l.traceId === s.traceId),
      );
      expect(root).toBeDefined();
      return receiver.spans.filter((s) => s.traceId === root!.traceId);
    });
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const server = (svc: string) =>
      spans.filter((s) => s.kind === 2 && s.attributes["wayfinder.service"] === svc);
    const gatewaySpan = server("gateway")[0]!;
    expect(gatewaySpan.parentSpanId).toBe("");
    for (const svc of ["directory", "council"]) {
      const sub = server(svc);
      expect(sub.length).toBeGreaterThanOrEqual(1);
      // Its parent is the gateway's client span for that call, which came through traceparent.
      const parent: ReceivedSpan | undefined = byId.get(sub[0]!.parentSpanId);
      expect(parent).toMatchObject({ kind: 3, attributes: { "wayfinder.partner": svc } });
    }
    // @apollo/gateway's own spans (request, fetch) sit in the same trace.
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(["gateway.request", "gateway.fetch"]),
    );
    // The log lines carry the trace id too, for jumping from a log line to its trace.
    expect(mine.every((l) => l.traceId === gatewaySpan.traceId)).toBe(true);
  });

  it("starts its own trace at the gateway rather than continuing one a public caller sends", async () => {
    const forged = "0af7651916cd43dd8448eb211c80319c";
    await post(
      stack.gatewayUrl,
      { query: freshSearch() },
      { traceparent: `00-${forged}-b7ad6b7169203331-01` },
    );
    await tracing!.forceFlush();
    expect(receiver.spans.some((s) => s.traceId === forged)).toBe(false);
  });
});

describe("CORS on /graphql", () => {
  const ORIGIN = "https://app.wayfinder.example";
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await gateway({ corsOrigins: [ORIGIN, "https://other.example"] });
  });

  const preflight = (origin: string) =>
    fetch(gw.url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });

  it("answers a listed origin's preflight before the CSRF check", async () => {
    const res = await preflight(ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = res.headers.get("access-control-allow-headers")!.split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining(["content-type", "authorization", "apollo-require-preflight"]),
    );
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("refuses an unlisted origin's preflight and gives its requests no allow header", async () => {
    const res = await preflight("https://evil.example");
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const real = await post(
      gw.url,
      { query: "{ __typename }" },
      { origin: "https://evil.example" },
    );
    expect(real.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets a listed origin read the answer and its request id", async () => {
    const res = await post(gw.url, { query: "{ __typename }" }, { origin: ORIGIN });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ __typename: "Query" });
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("keeps CSRF prevention for simple requests, CORS or not", async () => {
    const res = await fetch(`${gw.url}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { origin: ORIGIN },
    });
    expect(res.status).toBe(400);
  });

  it("answers no preflight when no origin is configured", async () => {
    const plain = await gateway();
    const res = await fetch(plain.url, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

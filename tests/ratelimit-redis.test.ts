// More than one gateway: with REDIS_URL the per-client buckets live in the real Redis on
// 127.0.0.1:6379, so two gateway replicas share one limit; a Redis that cannot be reached leaves
// each replica limiting on its own (the insurance limiter) and still serving. Gateways only answer
// `{ __typename }` here, which needs no subgraph: the limit runs before any GraphQL work.
import { afterAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { createLogger } from "../platform/log.ts";
import { testGatewayConfig } from "./helpers/stack.ts";
import { REDIS_URL, dropPrefix, freshPrefix, hasRedis, keysUnder } from "./helpers/redis.ts";

const gateways: RunningGateway[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  if (hasRedis) await Promise.all(prefixes.map(dropPrefix));
});

async function replica(
  redis: { url: string; keyPrefix: string },
  lines?: Record<string, unknown>[],
) {
  const gw = await startGateway({
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    // Nothing listens there: these tests never reach a subgraph.
    subgraphUrls: {
      council: "http://127.0.0.1:9/graphql",
      charity: "http://127.0.0.1:9/graphql",
      health: "http://127.0.0.1:9/graphql",
      directory: "http://127.0.0.1:9/graphql",
    },
    // 3 requests per window; the window (3 / 0.001 s) outlasts any test run, so nothing refills.
    rateLimit: { rps: 0.001, burst: 3, trustProxy: 1, redis },
    ...(lines
      ? {
          logger: createLogger({
            service: "gateway",
            level: "info",
            destination: { write: (l: string) => void lines.push(JSON.parse(l)) },
          }),
        }
      : {}),
  });
  gateways.push(gw);
  return gw;
}

const ask = (gw: RunningGateway, client: string) =>
  fetch(gw.url, {
    method: "POST",
    // Behind one trusted proxy, as docker-compose runs it: the client is the address the proxy saw.
    headers: { "content-type": "application/json", "x-forwarded-for": client },
    body: JSON.stringify({ query: "{ __typename }" }),
  });

describe.skipIf(!hasRedis)("rate limit shared through Redis", () => {
  it("is one limit across two gateway replicas", async () => {
    const keyPrefix = freshPrefix("shared");
    prefixes.push(keyPrefix);
    const a = await replica({ url: REDIS_URL, keyPrefix });
    const b = await replica({ url: REDIS_URL, keyPrefix });
    const statuses = [];
    for (const gw of [a, b, a]) statuses.push((await ask(gw, "10.0.0.1")).status);
    expect(statuses).toEqual([200, 200, 200]);
    // The fourth request goes to the other replica, which has seen one of the three: still refused.
    const refused = await ask(b, "10.0.0.1");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await refused.json()).errors[0].extensions.code).toBe("RATE_LIMITED");
    expect((await ask(a, "10.0.0.1")).status).toBe(429);
    // Another client has its own bucket.
    expect((await ask(b, "10.0.0.2")).status).toBe(200);
    // The buckets are Redis keys under the replicas' prefix.
    expect((await keysUnder(keyPrefix)).length).toBe(2);
  });

  it("keeps replicas with different prefixes apart (the sharing is Redis, not chance)", async () => {
    const one = freshPrefix("one");
    const two = freshPrefix("two");
    prefixes.push(one, two);
    const a = await replica({ url: REDIS_URL, keyPrefix: one });
    const b = await replica({ url: REDIS_URL, keyPrefix: two });
    for (let i = 0; i < 3; i++) expect((await ask(a, "10.0.0.3")).status).toBe(200);
    expect((await ask(a, "10.0.0.3")).status).toBe(429);
    expect((await ask(b, "10.0.0.3")).status).toBe(200);
  });
});

describe("rate limit when Redis cannot be reached", () => {
  it("still serves, and each replica limits on its own", async () => {
    // A port where nothing listens: the connection is refused.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const lines: Record<string, unknown>[] = [];
    const gw = await replica({ url: `redis://127.0.0.1:${port}`, keyPrefix: "unreachable" }, lines);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(gw, "10.0.0.4")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(lines.some((l) => l.event === "rate_limit_store_unavailable")).toBe(true);
  });
});

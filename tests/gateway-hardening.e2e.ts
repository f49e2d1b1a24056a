// Limits and hardening of the public gateway, against the real stack: each operation limit and its
// code, batch and body limits, CSRF refusal, introspection and field suggestions off in production,
// internal errors masked with a request id that the log line carries, the per-client rate limit,
// and request logs that hold neither tokens nor variables.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedTestStack, testGatewayConfig, type SharedStackUrls } from "./helpers/stack.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { createLogger } from "../platform/log.ts";
import { authConfig, mintDevToken } from "../gateway/auth.ts";
import { DEFAULT_LIMITS } from "../gateway/hardening.ts";
import { TokenBuckets, clientIp, clientKey, normaliseIp } from "../gateway/ratelimit.ts";
import { PARTNERS } from "../schema/vocabulary.ts";

// The run's shared stack: this file only reads through it.
let stack: SharedStackUrls;
/** Production-mode gateway over the same subgraphs, logging into `lines`. */
let prod: RunningGateway;
const lines: Record<string, any>[] = [];
const raw: string[] = [];
/** Sits between the production gateway and the health subgraph; can fail every call. */
let healthProxy: http.Server;
let failHealth = false;

const INTERNAL_DETAIL = 'relation "health.service" does not exist (pool 10.0.3.7:5432)';

/** Forwards to the real health subgraph, or answers like a subgraph whose database broke. */
function startHealthProxy(target: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (failHealth && req.method === "POST") {
      // The representations include the service id the client asked for: it must not reach the
      // client, and the log line keeps the detail but not the client's variables.
      const id = /"id":"([^"]+)"/.exec(body)?.[1] ?? "?";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          data: { _entities: [null] },
          errors: [
            {
              message: `loading ${id}: ${INTERNAL_DETAIL}`,
              path: ["_entities", 0],
              extensions: {
                code: "INTERNAL_SERVER_ERROR",
                exception: {
                  stacktrace: ["Error: boom", "    at load (/srv/health/service.data.ts:42:7)"],
                },
              },
            },
          ],
        }),
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "content-length", "connection"].includes(k))
        headers[k] = v;
    }
    const upstream = await fetch(new URL(req.url ?? "/", target), {
      method: req.method,
      headers,
      body: req.method === "POST" ? body : undefined,
    });
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
    });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  stack = await sharedTestStack();
  healthProxy = await startHealthProxy(stack.partners.health.url);
  const subgraphUrls: Record<string, string> = Object.fromEntries(
    PARTNERS.map((p) => [p, stack.partners[p].url]),
  );
  subgraphUrls.health = `http://127.0.0.1:${(healthProxy.address() as AddressInfo).port}/graphql`;
  subgraphUrls.directory = stack.directory.http.url;
  prod = await startGateway({
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    supergraphPath: "schema/supergraph.graphql",
    subgraphUrls,
    production: true,
    // The development key, so tests can mint tokens (production auth config would refuse it).
    auth: authConfig({}),
    logger: createLogger({
      service: "gateway",
      level: "info",
      destination: {
        write(line: string) {
          raw.push(line);
          lines.push(JSON.parse(line));
        },
      },
    }),
  });
});
afterAll(async () => {
  await prod?.close();
  await new Promise((r) => healthProxy?.close(r));
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}
const codes = (a: Answer) => (a.body.errors ?? []).map((e: any) => e.extensions?.code);

/** A valid query exactly `depth` fields deep: service → organization → services → … is a real cycle. */
function deepQuery(depth: number): string {
  // Field levels: service 1, organization (even), services (odd, on CharityOrganization); `name` is the leaf.
  // One service per page, so the query is deep but cheap (a full page per level is refused on cost).
  let sel = "name";
  for (let level = depth - 1; level >= 2; level--) {
    sel =
      level % 2 === 0
        ? `organization { ${sel} }`
        : `... on CharityOrganization { services(first: 1) { ${sel} } }`;
  }
  return `{ service(id: "charity:refuge-norfolk") { name ${sel} } }`;
}

describe("operation limits", () => {
  it("accepts the deepest query allowed and refuses one level more with DEPTH_LIMIT_EXCEEDED", async () => {
    const ok = await post(prod.url, { query: deepQuery(DEFAULT_LIMITS.maxDepth) });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.service.name).toBe("Norfolk Refuge for Women and Children");
    const deep = await post(prod.url, { query: deepQuery(DEFAULT_LIMITS.maxDepth + 1) });
    expect(deep.status).toBe(400);
    expect(codes(deep)).toEqual(["DEPTH_LIMIT_EXCEEDED"]);
    expect(deep.body.errors[0].message).toBe(
      `Query depth limit of ${DEFAULT_LIMITS.maxDepth} exceeded, found ${DEFAULT_LIMITS.maxDepth + 1}.`,
    );
    // The same code in development.
    const dev = await post(stack.gatewayUrl, { query: deepQuery(DEFAULT_LIMITS.maxDepth + 1) });
    expect(codes(dev)).toEqual(["DEPTH_LIMIT_EXCEEDED"]);
  });

  it("refuses more aliases than allowed with ALIAS_LIMIT_EXCEEDED", async () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: needs { code }`).join(" ")} }`;
    expect(
      (await post(prod.url, { query: aliases(DEFAULT_LIMITS.maxAliases) })).body.errors,
    ).toBeUndefined();
    const tooMany = await post(prod.url, { query: aliases(DEFAULT_LIMITS.maxAliases + 1) });
    expect(tooMany.status).toBe(400);
    expect(codes(tooMany)).toEqual(["ALIAS_LIMIT_EXCEEDED"]);
    expect(tooMany.body.errors[0].message).toContain(
      `Aliases limit of ${DEFAULT_LIMITS.maxAliases} exceeded`,
    );
  });

  it("refuses an over-expensive page with COST_LIMIT_EXCEEDED, while the largest ordinary page passes", async () => {
    const page = (first: number, node: string) =>
      `{ searchServices(first: ${first}) { totalCount edges { node { ${node} } } } }`;
    const ordinary =
      "id partner name needs ageRange { minimumAge maximumAge } organization { name } locations { name area latitude } serviceAreas { code name }";
    const ok = await post(prod.url, { query: page(100, ordinary) });
    expect(ok.body.errors).toBeUndefined();
    const everything =
      ordinary +
      " description status url email fees eligibilityDescription capacity { acceptingReferrals typicalWaitWeeks } funding { contractEndDate funder }" +
      " locations { address { city postalCode } } schedules { byDay opensAt closesAt } costOptions { option amount } contacts { name phone }" +
      " languages { name code } taxonomyTerms { code name }";
    const costly = await post(prod.url, { query: page(100, everything) });
    expect(costly.status).toBe(400);
    expect(codes(costly)).toEqual(["COST_LIMIT_EXCEEDED"]);
    expect(costly.body.errors[0].message).toMatch(
      new RegExp(`^Query Cost limit of ${DEFAULT_LIMITS.maxCost} exceeded, found \\d+`),
    );
  });

  it("refuses a document with too many tokens with TOKEN_LIMIT_EXCEEDED", async () => {
    // 16 tokens around the list: { searchServices ( filter : { localAuthorities : [ … ] } ) { totalCount } }
    const areas = (n: number) =>
      `{ searchServices(filter: { localAuthorities: [${' "E10000020"'.repeat(n)}] }) { totalCount } }`;
    // At the limit the gateway passes it on, and the directory answers for itself (it takes 50 areas).
    const most = await post(prod.url, { query: areas(DEFAULT_LIMITS.maxTokens - 16) });
    expect(codes(most)).toEqual(["BAD_USER_INPUT"]);
    expect(most.body.errors[0].extensions.field).toBe("filter.localAuthorities");
    const long = await post(prod.url, { query: areas(DEFAULT_LIMITS.maxTokens - 15) });
    expect(long.status).toBe(400);
    expect(codes(long)).toEqual(["TOKEN_LIMIT_EXCEEDED"]);
    expect(long.body.errors[0].message).toBe(
      `Token limit of ${DEFAULT_LIMITS.maxTokens} exceeded.`,
    );
  });

  it("refuses too many directives with DIRECTIVE_LIMIT_EXCEEDED", async () => {
    const directives = (n: number) =>
      `{ service(id: "council:fh-norwich") { ${"name @skip(if: false) ".repeat(n)} } }`;
    expect(
      (await post(prod.url, { query: directives(DEFAULT_LIMITS.maxDirectives) })).body.errors,
    ).toBeUndefined();
    const many = await post(prod.url, { query: directives(DEFAULT_LIMITS.maxDirectives + 1) });
    expect(many.status).toBe(400);
    expect(codes(many)).toEqual(["DIRECTIVE_LIMIT_EXCEEDED"]);
  });

  it("answers a batch of up to maxBatch operations and refuses a larger one with BATCH_LIMIT_EXCEEDED", async () => {
    const op = (i: number) => ({ query: `query Op${i} { needs { code } }` });
    const ok = await post(
      prod.url,
      Array.from({ length: DEFAULT_LIMITS.maxBatch }, (_, i) => op(i)),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(DEFAULT_LIMITS.maxBatch);
    for (const r of ok.body) expect(r.data.needs.length).toBeGreaterThan(5);
    const big = await post(
      prod.url,
      Array.from({ length: DEFAULT_LIMITS.maxBatch + 1 }, (_, i) => op(i)),
    );
    expect(big.status).toBe(400);
    expect(codes(big)).toEqual(["BATCH_LIMIT_EXCEEDED"]);
  });

  it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE", async () => {
    const q = `query Q($query: String) { searchServices(query: $query) { totalCount } }`;
    const big = await post(prod.url, {
      query: q,
      variables: { query: "x".repeat(DEFAULT_LIMITS.bodyLimit) },
    });
    expect(big.status).toBe(413);
    expect(codes(big)).toEqual(["PAYLOAD_TOO_LARGE"]);
    // Just under the limit is read (and answered on its merits).
    const under = await post(prod.url, {
      query: q,
      variables: { query: "x".repeat(DEFAULT_LIMITS.bodyLimit - 200) },
    });
    expect(under.status).toBeLessThan(500);
    expect(under.status).not.toBe(413);
  });

  it("still serves the README and test queries (the limits leave room for real use)", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile("README.md", "utf8");
    const queries = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const query of queries) {
      const res = await post(prod.url, { query });
      const limitCodes = codes(res).filter((c: string) => /LIMIT_EXCEEDED$/.test(c));
      expect(limitCodes, query).toEqual([]);
      // The README's mutation needs a partner admin's token; anonymously it is refused, not limited.
      if (query.trimStart().startsWith("mutation"))
        expect(codes(res), query).toEqual(["UNAUTHENTICATED"]);
      else expect(res.body.data, query).toBeTruthy();
    }
  });
});

describe("CSRF prevention", () => {
  it("refuses a GET without a preflight header, and answers it with one", async () => {
    const url = `${prod.url}?query=${encodeURIComponent("{ needs { code } }")}`;
    const bare = await fetch(url);
    expect(bare.status).toBe(400);
    const body = (await bare.json()) as any;
    expect(body.errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(body.errors[0].message).toContain("Cross-Site Request Forgery");
    const withHeader = await fetch(url, { headers: { "apollo-require-preflight": "true" } });
    expect(withHeader.status).toBe(200);
  });

  it("refuses a simple text/plain POST (what a hostile page's form can send)", async () => {
    const res = await fetch(prod.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ needs { code } }" }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.errors[0].message).toContain("Cross-Site Request Forgery");
    expect(body.data).toBeUndefined();
  });
});

describe("production mode", () => {
  it("turns introspection off (development keeps it for Sandbox)", async () => {
    const q = { query: "{ __schema { queryType { name } } }" };
    const off = await post(prod.url, q);
    expect(off.status).toBe(400);
    expect(codes(off)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(off.body.errors[0].message).toContain("introspection is not allowed");
    const on = await post(stack.gatewayUrl, q);
    expect(on.body.data.__schema.queryType.name).toBe("Query");
  });

  it("hides field suggestions, which would map the schema without introspection", async () => {
    const q = { query: `{ servic(id: "council:fh-norwich") { name } }` };
    const hidden = await post(prod.url, q);
    expect(codes(hidden)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(hidden.body.errors[0].message).toBe('Cannot query field "servic" on type "Query".');
    expect((await post(stack.gatewayUrl, q)).body.errors[0].message).toContain(
      'Did you mean "service"',
    );
    const enumQuery = {
      query: `{ searchServices(filter: { needs: [MENTAL_HELTH] }) { totalCount } }`,
    };
    const enumHidden = await post(prod.url, enumQuery);
    expect(enumHidden.body.errors[0].message).toBe(
      'Value "MENTAL_HELTH" does not exist in "Need" enum.',
    );
    expect((await post(stack.gatewayUrl, enumQuery)).body.errors[0].message).toContain(
      "Did you mean",
    );
  });

  it("keeps client errors (code and message) but strips internals such as serviceName and stack traces", async () => {
    const bad = await post(prod.url, { query: `{ service(id: "nope") { name } }` });
    expect(bad.body.errors).toHaveLength(1);
    const [error] = bad.body.errors;
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/id/i);
    expect(error.extensions).not.toHaveProperty("serviceName");
    expect(error.extensions).not.toHaveProperty("stacktrace");
    expect(error.extensions).not.toHaveProperty("exception");
  });

  it("answers input only a subgraph can check (a Date, a null page size) as BAD_USER_INPUT, not as an internal error", async () => {
    const route = /* GraphQL */ `
      query DobRoute($dob: Date) {
        routeChild(profile: { dateOfBirth: $dob, needs: [ADHD] }) {
          level {
            level
          }
        }
      }
    `;
    const badDate = await post(prod.url, { query: route, variables: { dob: "2015-02-30" } });
    expect(codes(badDate)).toEqual(["BAD_USER_INPUT"]);
    expect(badDate.body.errors[0].message).toContain("Date cannot represent");
    expect(badDate.body.errors[0].extensions).toEqual({ code: "BAD_USER_INPUT" });
    const literal = await post(prod.url, {
      query: `{ routeChild(profile: { dateOfBirth: "someday", needs: [ADHD] }) { level { level } } }`,
    });
    expect(codes(literal)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    const nullFirst = await post(prod.url, {
      query: `query Page($first: Int) { searchServices(first: $first) { totalCount } }`,
      variables: { first: null },
    });
    expect(codes(nullFirst)).toEqual(["BAD_USER_INPUT"]);
    expect(nullFirst.body.errors[0].message).toBe(
      'Argument "first" of non-null type "Int!" must not be null.',
    );
    // None of them was logged as an internal error.
    expect(lines.filter((l) => l.event === "graphql_error")).toEqual([]);
  });

  it("masks an internal error as 'Internal server error' with the request id, and logs the detail under that id", async () => {
    failHealth = true;
    try {
      const query = /* GraphQL */ `
        query OneService($id: ID!) {
          service(id: $id) {
            name
          }
        }
      `;
      const res = await post(
        prod.url,
        { query, variables: { id: "health:camhs-norwich" } },
        { "x-request-id": "mask-test-1" },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBe("mask-test-1");
      expect(res.body.data.service).toBeNull();
      expect(res.body.errors).toEqual([
        {
          message: "Internal server error",
          path: ["service"],
          extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "mask-test-1" },
        },
      ]);
      const text = JSON.stringify(res.body);
      for (const leak of ["relation", "10.0.3.7", "service.data.ts", "health", "stacktrace"])
        expect(text).not.toContain(leak);

      const logged = lines.filter((l) => l.requestId === "mask-test-1");
      const errorLine = logged.find((l) => l.event === "graphql_error");
      expect(errorLine).toMatchObject({
        level: 50,
        requestId: "mask-test-1",
        code: "INTERNAL_SERVER_ERROR",
      });
      expect(errorLine!.message).toContain(INTERNAL_DETAIL);
      expect(errorLine!.extensions.serviceName).toBe("health");
      // The client's variable (the id it asked for) is scrubbed from the detail.
      expect(JSON.stringify(errorLine)).not.toContain("camhs-norwich");
      expect(errorLine!.message).toContain("loading [redacted]");
      const requestLine = logged.find((l) => l.event === "graphql_request");
      expect(requestLine).toMatchObject({
        level: 30,
        operationName: "OneService",
        errorCount: 1,
        errorCodes: ["INTERNAL_SERVER_ERROR"],
      });
    } finally {
      failHealth = false;
    }
  });

  it("gives every GraphQL response an x-request-id, generated when the client sent none", async () => {
    const res = await post(prod.url, { query: "{ needs { code } }" });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.some((l) => l.event === "graphql_request" && l.requestId === id)).toBe(true);
  });
});

describe("rate limit", () => {
  it("answers 429 RATE_LIMITED with Retry-After once a client's burst is spent, other clients unaffected, and recovers", async () => {
    // Its own production gateway with a small bucket that refills one request per 5 s, on a clock
    // the test moves: no token comes back while the ten go out, however long they take.
    let now = 0;
    const limitLines: Record<string, any>[] = [];
    const limited = await startGateway({
      ...testGatewayConfig(),
      host: "127.0.0.1",
      port: 0,
      subgraphUrls: Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])),
      production: true,
      auth: authConfig({}),
      rateLimit: { rps: 0.2, burst: 5, trustProxy: false, now: () => now },
      logger: createLogger({
        service: "gateway",
        level: "info",
        destination: { write: (line: string) => void limitLines.push(JSON.parse(line)) },
      }),
    });
    try {
      const token = await mintDevToken({ role: "professional", sub: "rate-limit-test" });
      const auth = { authorization: `Bearer ${token}` };
      const cheap = { query: "{ __typename }" };
      const answers: Answer[] = [];
      for (let i = 0; i < 10; i++) answers.push(await post(limited.url, cheap, auth));
      // The burst (5) passes, the rest is refused.
      expect(answers.map((a) => a.status)).toEqual([
        200, 200, 200, 200, 200, 429, 429, 429, 429, 429,
      ]);
      const refused = answers.filter((a) => a.status === 429);
      for (const a of refused) {
        const retryAfter = a.headers.get("retry-after")!;
        // One token takes 5 s to come back.
        expect(retryAfter).toBe("5");
        expect(a.body.errors[0].extensions).toEqual({
          code: "RATE_LIMITED",
          retryAfter: Number(retryAfter),
        });
      }
      // Another client (anonymous, keyed by address) still gets through.
      expect((await post(limited.url, cheap)).status).toBe(200);
      // /health is never limited (load balancers poll it).
      expect((await fetch(new URL("/health", limited.url))).status).toBe(200);
      // Not before Retry-After has passed (4 of the 5 s: four fifths of a token) …
      now += 4_000;
      expect((await post(limited.url, cheap, auth)).status).toBe(429);
      // … and then it does.
      now += 1_000;
      const again = await post(limited.url, cheap, auth);
      expect(again.status).toBe(200);
      expect(again.body.data.__typename).toBe("Query");
      // One warning for the client, not one per refusal (a flood must not flood the logs too).
      const warnings = limitLines.filter((l) => l.event === "rate_limited");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        level: 40,
        client: expect.stringMatching(/^auth:[\w-]{22}$/),
      });
      expect(JSON.stringify(warnings[0])).not.toContain(token);
    } finally {
      await limited.close();
    }
  });
});

describe("token buckets", () => {
  it("allow a burst, then refill at the sustained rate, with Retry-After rounded up to whole seconds", () => {
    let now = 0;
    const buckets = new TokenBuckets({ rps: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => buckets.take("a").ok)).toEqual([true, true, true]);
    expect(buckets.take("a")).toEqual({ ok: false, retryAfterSeconds: 1, log: { refused: 1 } });
    // Refusals are logged at most once per interval, with how many were refused since.
    expect(buckets.take("a")).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 499;
    expect(buckets.take("a").ok).toBe(false);
    now += 1;
    expect(buckets.take("a").ok).toBe(true);
    expect(buckets.take("b").ok).toBe(true);
    const slow = new TokenBuckets({ rps: 0.1, burst: 1, now: () => now });
    slow.take("c");
    expect(slow.take("c")).toMatchObject({ ok: false, retryAfterSeconds: 10 });
  });

  it("keep memory bounded: idle buckets are dropped, then the least recently used", () => {
    let now = 0;
    const buckets = new TokenBuckets({ rps: 10, burst: 10, maxBuckets: 100, now: () => now });
    for (let i = 0; i < 50; i++) buckets.take(`idle-${i}`);
    now += 1000; // long enough for those 50 to refill completely: the same as no bucket
    buckets.take("fresh");
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 1000; i++) buckets.take(`busy-${i}`);
    expect(buckets.size).toBe(100);
  });

  it("key by a hash of the Authorization header, else by address; X-Forwarded-For only behind a trusted proxy", () => {
    const req = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ({ socket: { remoteAddress }, headers }) as never;
    const token = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig";
    const byToken = clientKey(req("10.0.0.1", { authorization: token }));
    expect(byToken).toMatch(/^auth:[\w-]{22}$/);
    expect(byToken).not.toContain("eyJ");
    expect(clientKey(req("10.0.0.2", { authorization: token }))).toBe(byToken);
    expect(clientKey(req("::ffff:10.0.0.1"))).toBe("ip:10.0.0.1");
    // Forged headers are ignored unless a proxy is trusted; then the entry it appended counts.
    const forwarded = req("10.0.0.9", { "x-forwarded-for": "1.2.3.4, 203.0.113.7" });
    expect(clientIp(forwarded)).toBe("10.0.0.9");
    expect(clientIp(forwarded, true)).toBe("203.0.113.7");
    expect(clientIp(forwarded, 2)).toBe("1.2.3.4");
    expect(clientIp(req("10.0.0.9", { "x-forwarded-for": "not an address" }), true)).toBe(
      "10.0.0.9",
    );
    // One IPv6 subscriber (a /64) is one client, however many addresses it rotates through.
    expect(normaliseIp("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(normaliseIp("2001:db8:1:2:ffff:ffff:ffff:fffe")).toBe("2001:db8:1:2::/64");
    expect(normaliseIp("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(normaliseIp("::a:b:c:d:1.2.3.4")).toBe("0:0:a:b::/64");
  });
});

describe("request logs", () => {
  it("log one line per request with operation, duration, status, role and request id, never the token, query or variables", async () => {
    const token = await mintDevToken({ role: "professional", sub: "log-test" });
    const query = /* GraphQL */ `
      query RouteForLogTest($profile: ChildProfileInput!) {
        routeChild(profile: $profile) {
          needs {
            need
            status
          }
          level {
            level
          }
        }
      }
    `;
    const profile = { age: 9, needs: ["MENTAL_HEALTH", "YOUNG_CARERS"], postcode: "NR2 4AB" };
    const before = raw.length;
    const ok = await post(
      prod.url,
      { query, variables: { profile } },
      { authorization: `Bearer ${token}`, "x-request-id": "log-test-ok" },
    );
    expect(ok.body.errors).toBeUndefined();
    // A variable error echoes the value in its message to the client; it must not reach the log.
    const bad = await post(
      prod.url,
      { query, variables: { profile: { ...profile, age: "NR2 4AB" } } },
      { authorization: `Bearer ${token}`, "x-request-id": "log-test-bad" },
    );
    expect(codes(bad)).toEqual(["BAD_USER_INPUT"]);
    expect(bad.body.errors[0].message).toContain("NR2 4AB");

    const written = raw.slice(before);
    const ours = lines.slice(before);
    expect(ours.find((l) => l.requestId === "log-test-ok")).toMatchObject({
      level: 30,
      event: "graphql_request",
      operationName: "RouteForLogTest",
      operationType: "query",
      rootFields: ["routeChild"],
      role: "professional",
      status: 200,
      errorCount: 0,
      service: "gateway",
    });
    expect(ours.find((l) => l.requestId === "log-test-ok")!.durationMs).toBeGreaterThan(0);
    expect(ours.find((l) => l.requestId === "log-test-bad")).toMatchObject({
      role: "professional",
      status: 400,
      errorCount: 1,
      errorCodes: ["BAD_USER_INPUT"],
    });
    expect(ours.filter((l) => l.requestId === "log-test-ok")).toHaveLength(1);
    for (const line of written) {
      for (const secret of [
        token,
        token.split(".")[2]!,
        "Bearer",
        "NR2 4AB",
        "YOUNG_CARERS",
        "profile",
        "routeChild(profile",
      ]) {
        expect(line).not.toContain(secret);
      }
    }
  });

  it("redacts an authorization header or variables if a log call ever includes them", async () => {
    const captured: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: { write: (s: string) => void captured.push(s) },
    });
    logger.info(
      {
        req: { headers: { authorization: "Bearer secret.token.value" } },
        variables: { postcode: "NR2 4AB" },
        ctx: { profile: { postcode: "NR2 4AB" } },
      },
      "oops",
    );
    expect(captured.join("")).not.toContain("secret.token.value");
    expect(captured.join("")).not.toContain("NR2 4AB");
  });
});

// Property-based fuzzing of the real gateway (production and development mode) over the real
// subgraphs: malformed query text, hostile variables for searchServices / routeChild / service,
// and random headers. Every answer must be a JSON GraphQL response below 500, the gateway must
// keep answering /health, and no internal error may be hidden behind "Internal server error".
// Fixed seed and a few hundred runs, so CI sees the same inputs every time in well under 30 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { sharedTestStack, testGatewayConfig, type SharedStackUrls } from "./helpers/stack.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { createLogger } from "../platform/log.ts";
import { authConfig, mintDevToken } from "../gateway/auth.ts";
import { LOCAL_AUTHORITIES, NEED_CODES, PARTNERS } from "../schema/vocabulary.ts";

const SEED = 20_250_611;
// The run's shared stack: this file only reads through it.
let stack: SharedStackUrls;
let prod: RunningGateway;
const logLines: Record<string, any>[] = [];
let token: string;

beforeAll(async () => {
  stack = await sharedTestStack();
  const subgraphUrls: Record<string, string> = Object.fromEntries(
    PARTNERS.map((p) => [p, stack.partners[p].url]),
  );
  subgraphUrls.directory = stack.directory.http.url;
  prod = await startGateway({
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    supergraphPath: "schema/supergraph.graphql",
    subgraphUrls,
    production: true,
    auth: authConfig({}),
    // The fuzzer sends a few hundred requests a second from one address; the per-client limit
    // (20/s) would answer most with 429 and test nothing.
    rateLimit: false,
    logger: createLogger({
      level: "warn",
      destination: { write: (s: string) => void logLines.push(JSON.parse(s)) },
    }),
  });
  token = await mintDevToken({ role: "professional", sub: "fuzz" });
});
afterAll(async () => {
  await prod?.close();
});

const targets = () => [prod.url, stack.gatewayUrl];

/** Sends one request and checks the answer is a well-formed GraphQL response below 500. */
async function expectSaneAnswer(
  url: string,
  init: RequestInit & { headers?: Record<string, string> },
  what: unknown,
) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  const context = `${res.status} for ${JSON.stringify(what).slice(0, 300)}: ${text.slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  let body: any;
  expect(() => (body = JSON.parse(text)), context).not.toThrow();
  for (const result of Array.isArray(body) ? body : [body]) {
    expect(result !== null && typeof result === "object", context).toBe(true);
    expect("data" in result || "errors" in result, context).toBe(true);
    for (const error of result.errors ?? []) {
      expect(typeof error.message, context).toBe("string");
      expect(typeof error.extensions?.code, context).toBe("string");
      // A 200 that hides a crash is still a crash.
      expect(error.extensions.code, context).not.toBe("INTERNAL_SERVER_ERROR");
      if (url === prod.url) expect(error.extensions, context).not.toHaveProperty("stacktrace");
    }
  }
  return { status: res.status, body };
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", "apollo-require-preflight": "true", ...headers },
  body: JSON.stringify(body),
});

// ---- query text --------------------------------------------------------------------------------

const VALID_QUERIES = [
  `{ searchServices(query: "cahms", filter: { age: 14, needs: [MENTAL_HEALTH] }, near: { postcode: "NR2 4AB", radiusKm: 15 }, first: 10) { totalCount edges { distanceKm node { name partner } } facets { needs { value count } } } }`,
  `{ routeChild(profile: { age: 9, needs: [MENTAL_HEALTH, ADHD], postcode: "NR2 4AB", urgency: SOON }) { needs { need status services { service { name } } gaps { kind message } } level { level reason } } }`,
  `{ service(id: "council:fh-norwich") { name ... on CouncilService { coDelivery { role organization { name } } } } }`,
  `query Q($id: ID!) { service(id: $id) { name locations { area } } }`,
  `{ needs { code label } partnerStatus { partner reachable } }`,
  `{ routeChild(profile: { dateOfBirth: "2015-06-01", needs: [SPEECH_LANGUAGE], localAuthority: "E10000020", maxTravelKm: 12.5 }) { level { level } } }`,
];
const SYNTAX = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ":",
  "...",
  "@",
  "$",
  "!",
  "=",
  '"',
  '"""',
  "#",
  ",",
  "|",
  "&",
  "\\",
  "on",
  "query",
  "fragment",
  "mutation",
  "subscription",
  "__schema",
  "__typename",
  "service",
  "name",
  "id",
];

const queryText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 100 }),
  // Truncated valid queries: every prefix of a real query.
  fc
    .tuple(fc.constantFrom(...VALID_QUERIES), fc.nat())
    .map(([q, n]) => q.slice(0, n % (q.length + 1))),
  // Token soup with unbalanced braces, brackets and quotes.
  fc.array(fc.constantFrom(...SYNTAX), { maxLength: 60 }).map((t) => t.join(" ")),
  // Deep nesting, far past the depth limit (and, at the top end, deep enough to strain a parser).
  fc
    .integer({ min: 1, max: 3000 })
    .map(
      (n) => `{ service(id: "council:fh-norwich") ${"{ organization ".repeat(n)}${"}".repeat(n)} }`,
    ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "{a".repeat(n) + "}".repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "[".repeat(n)),
  // Valid queries with junk spliced in.
  fc
    .tuple(
      fc.constantFrom(...VALID_QUERIES),
      fc.nat(),
      fc.string({ unit: "binary", maxLength: 20 }),
    )
    .map(([q, n, junk]) => {
      const at = n % (q.length + 1);
      return q.slice(0, at) + junk + q.slice(at);
    }),
);

// ---- variables ---------------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  `" OR 1=1 --`,
  `'; DROP TABLE service; --`,
  `<script>alert(1)</script>`,
  `\u0000`,
  `a\u0000b`,
  `\ud800`,
  `\u202e\u200b\ufeff`,
  `${"${jndi:ldap://x/a}"}`,
  `../../../../etc/passwd`,
  `%00%27%22`,
  `NR2 4AB`,
  `nr24ab`,
  `health:camhs-norwich`,
  `council:`,
  `:`,
  `council:${"x".repeat(5000)}`,
  `__proto__`,
  `constructor`,
  `*`,
  `\\`,
  `"`,
  "x".repeat(10_000),
  "🧒".repeat(2_000),
  "ZZ99 9ZZ",
  "E10000020",
  "",
  " ",
];
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    -0,
    1e308,
    -1e308,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 + 1,
    0.5,
    1e-300,
    999_999_999_999,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const hostileLeaf = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileLeaf,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom("__proto__", "constructor", "age", "needs", "postcode"),
        fc.string({ maxLength: 10 }),
      ),
      tie("value"),
      { maxKeys: 4 },
    ),
  ),
}));
/**
 * Mostly a well-typed value, so that hostile strings and numbers get past coercion and reach the
 * resolvers, search and routing; sometimes anything at all.
 */
const typedOr = <T>(typed: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 20, arbitrary: typed }, { weight: 1, arbitrary: hostileValue });
const need = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...NEED_CODES) },
  { weight: 1, arbitrary: hostileString },
);
const area = fc.oneof(fc.constantFrom(...LOCAL_AUTHORITIES.map((l) => l.code)), hostileString);

const SEARCH = /* GraphQL */ `
  query FuzzSearch(
    $query: String
    $filter: ServiceFilter
    $near: NearInput
    $sort: SearchSort
    $first: Int
    $after: String
  ) {
    searchServices(
      query: $query
      filter: $filter
      near: $near
      sort: $sort
      first: $first
      after: $after
    ) {
      totalCount
      edges {
        distanceKm
        highlight
        node {
          id
          name
          partner
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      facets {
        needs {
          value
          count
        }
      }
    }
  }
`;
const ROUTE = /* GraphQL */ `
  query FuzzRoute($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
          }
          reasons
        }
        gaps {
          kind
          message
        }
      }
      level {
        level
        reason
      }
      leadAgency {
        partner
      }
    }
  }
`;
const SERVICE = /* GraphQL */ `
  query FuzzService($id: ID!) {
    service(id: $id) {
      id
      name
      locations {
        area
      }
    }
  }
`;

const searchVariables = fc.record(
  {
    query: typedOr(hostileString),
    filter: typedOr(
      fc.record(
        {
          needs: typedOr(fc.array(need, { maxLength: 6 })),
          needsMatch: typedOr(fc.constantFrom("ANY", "ALL")),
          age: typedOr(fc.integer({ min: -5, max: 30 })),
          localAuthorities: typedOr(fc.array(area, { maxLength: 60 })),
          languages: typedOr(fc.array(hostileString, { maxLength: 5 })),
          openAt: typedOr(
            fc.record(
              {
                day: fc.constantFrom("MO", "TU", "SU"),
                time: fc.oneof(fc.constantFrom("16:00", "25:99", "9"), hostileString),
              },
              { requiredKeys: ["day"] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    near: typedOr(
      fc.record(
        {
          postcode: hostileString,
          latitude: hostileNumber,
          longitude: hostileNumber,
          radiusKm: hostileNumber,
        },
        { requiredKeys: [] },
      ),
    ),
    sort: typedOr(fc.constantFrom("RELEVANCE", "DISTANCE", "NAME", "WAIT", "CONTRACT_END")),
    first: typedOr(fc.integer({ min: -2, max: 120 })),
    after: typedOr(hostileString),
  },
  { requiredKeys: [] },
);
const routeVariables = fc.record({
  profile: typedOr(
    fc.record(
      {
        age: typedOr(fc.integer({ min: -3, max: 30 })),
        dateOfBirth: typedOr(
          fc.oneof(
            fc.constantFrom("2015-02-29", "2016-02-29", "1900-01-01", "2999-12-31", "2015-13-01"),
            hostileString,
          ),
        ),
        needs: typedOr(fc.array(need, { maxLength: 8 })),
        postcode: typedOr(hostileString),
        localAuthority: typedOr(area),
        languages: typedOr(fc.array(hostileString, { maxLength: 4 })),
        maxTravelKm: typedOr(hostileNumber),
        urgency: typedOr(fc.constantFrom("ROUTINE", "SOON", "URGENT")),
      },
      { requiredKeys: ["needs"] },
    ),
  ),
});
const serviceVariables = fc.record({
  id: typedOr(
    fc.oneof(
      hostileString,
      fc
        .tuple(
          fc.constantFrom("council", "charity", "health", "directory", "COUNCIL"),
          hostileString,
        )
        .map(([p, s]) => `${p}:${s}`),
    ),
  ),
});

// ---- headers -----------------------------------------------------------------------------------

const printable = (max: number) => fc.string({ maxLength: max }).map((s) => s.trim());
const headerSet = fc.record(
  {
    "content-type": fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/graphql-response+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/xml",
        "application/json; charset=latin1",
        ";;;",
      ),
      printable(40),
    ),
    authorization: fc.oneof(
      fc.constant("valid"),
      fc.constantFrom(
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer a.b.c",
        `Bearer ${"x".repeat(5000)}`,
      ),
      printable(80).map((s) => `Bearer ${s}`),
      printable(80),
    ),
    "x-request-id": printable(100),
    "apollo-require-preflight": printable(5),
    "x-apollo-operation-name": printable(20),
    accept: fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/graphql-response+json",
        "multipart/mixed",
        "*/*",
        "text/event-stream",
      ),
      printable(30),
    ),
    "x-forwarded-for": printable(60),
    "content-encoding": fc.constantFrom("gzip", "br", "identity"),
  },
  { requiredKeys: [] },
);

describe("fuzzing the gateway", () => {
  it("answers random and malformed query text with a JSON error below 500", async () => {
    await fc.assert(
      fc.asyncProperty(queryText, fc.boolean(), fc.nat(1), async (query, asGet, t) => {
        const url = targets()[t]!;
        if (asGet && query.length < 2000) {
          await expectSaneAnswer(
            `${url}?query=${encodeURIComponent(query)}`,
            { headers: { "apollo-require-preflight": "true" } },
            query,
          );
        } else {
          await expectSaneAnswer(url, json({ query }), query);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("answers hostile variables for searchServices, routeChild and service below 500", async () => {
    const operation = fc.oneof(
      searchVariables.map((variables) => ({ query: SEARCH, variables })),
      routeVariables.map((variables) => ({ query: ROUTE, variables })),
      serviceVariables.map((variables) => ({ query: SERVICE, variables })),
      // Variables that are not an object at all.
      fc
        .tuple(fc.constantFrom(SEARCH, ROUTE, SERVICE), hostileValue)
        .map(([query, variables]) => ({ query, variables })),
    );
    await fc.assert(
      fc.asyncProperty(operation, fc.nat(1), fc.boolean(), async (op, t, signedIn) => {
        await expectSaneAnswer(
          targets()[t]!,
          json(op, signedIn ? { authorization: `Bearer ${token}` } : {}),
          op,
        );
      }),
      { seed: SEED, numRuns: 180 },
    );
  });

  it("answers random headers below 500 (deliberate 4xx allowed) with a JSON body", async () => {
    await fc.assert(
      fc.asyncProperty(
        headerSet,
        fc.nat(1),
        fc.constantFrom(...VALID_QUERIES),
        async (headers, t, query) => {
          const h: Record<string, string> = { ...headers };
          if (h.authorization === "valid") h.authorization = `Bearer ${token}`;
          // The body is plain JSON whatever content-encoding claims; the gateway must not choke on it.
          await expectSaneAnswer(
            targets()[t]!,
            {
              method: "POST",
              headers: h,
              body: JSON.stringify({ query, variables: { id: "council:fh-norwich" } }),
            },
            h,
          );
        },
      ),
      { seed: SEED, numRuns: 70 },
    );
  });

  it("still answers /health and real queries afterwards, and logged no internal error", async () => {
    for (const url of targets()) {
      const health = await fetch(new URL("/health", url));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
      const res = await expectSaneAnswer(url, json({ query: VALID_QUERIES[2] }), "after");
      expect(res.body.data.service.name).toBe("Norwich Family Hub");
    }
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
  });
});

// The README's configuration table is true: every variable in it reaches the process that uses it.
// The processes run as operators run them (`npm start`, `npm run start:gateway`,
// `npm run start:subgraph -- directory`) with a distinctive value for each variable, and each check
// looks at the effect (where it listens, what it accepts, what it calls, where its data went), not at
// the source. The production-only variables (NODE_ENV=production, INTERNAL_SECRET as the only
// secret, AUTH_JWKS_URL, partners' databases as separate processes) are observed by
// tests/production.e2e.ts, and DIRECTORY_URL for `npm run reindex` by tests/reindex.e2e.ts.
import http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { SignJWT, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIMS_HEADER, SYNC_CLAIMS, signClaims } from "../platform/claims.ts";
import { DEV_INTERNAL_SECRET, DEV_REFERRAL_KEY } from "../platform/config.ts";
import { createReferralCipher } from "../subgraphs/kit/referral/referral.crypto.ts";
import { PARTNERS } from "../schema/vocabulary.ts";
import { POSTGRES_URL, dropSchemaOf, freshSchemaUrl, hasPostgres } from "./helpers/postgres.ts";
import { eventually } from "./helpers/stack.ts";
import { ROOT, READY_URL, freePorts, runNpm, type RunningProcess } from "./helpers/processes.ts";

/** Variables observed in another test file, and where. */
const OBSERVED_ELSEWHERE: Record<string, string> = {
  REDIS_URL:
    "tests/ratelimit-redis.test.ts and tests/web-sessions-redis.test.ts (gateway replicas sharing rate-limit buckets and web sessions in the real Redis; not yet through a started process)",
  GATEWAY_ROUTE_REPLICA:
    "tests/route-replica.e2e.ts (gatewayConfig's default turns the replica on in the test stack's gateway, which answers from it; the comparison gateway has it off; GATEWAY_ROUTE_REPLICA=false through the loader in tests/resilience.e2e.ts; not yet through a started process)",
  GATEWAY_READY_CACHE_MS:
    "tests/operations.e2e.ts (readiness probes shared for the cache period; not yet through a started process)",
  // The web app's sign-in settings: through their loader (webConfig) into a running web app that
  // signs in at a real OpenID Provider, in process rather than a started one.
  ...Object.fromEntries(
    [
      "WEB_OIDC_ISSUER",
      "WEB_OIDC_CLIENT_ID",
      "WEB_OIDC_CLIENT_SECRET",
      "WEB_OIDC_REDIRECT_URI",
      "WEB_OIDC_SCOPE",
      "WEB_OIDC_AUTH_PARAMS",
    ].map((n) => [
      n,
      "tests/web-oidc.e2e.ts (webConfig loader into the web app, signing in at a real OpenID Provider; not yet through a started process)",
    ]),
  ),
  WEB_SESSION_TTL_SECONDS: "web/web.test.ts (webConfig loader; not yet through a started process)",
  CHARITY_DATABASE_URL: "tests/production.e2e.ts (each partner process serves its PostgreSQL data)",
  HEALTH_DATABASE_URL: "tests/production.e2e.ts",
  AUTH_JWKS_URL: "tests/production.e2e.ts (a gateway process verifying tokens from a JWKS server)",
  REFERRAL_RETENTION_DAYS:
    "tests/referrals-retention.e2e.ts (partnerConfig loads it and a listening partner purges by it; days cannot pass in a started process)",
};

/** Every variable named in the README's configuration table. */
function readmeVariables(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Configuration"),
    readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5),
  );
  const rows = section.split("\n").filter((l) => l.startsWith("| `"));
  return [
    ...new Set(
      rows.flatMap((row) =>
        [...row.split("|")[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
      ),
    ),
  ];
}

const observed = new Set<string>();
const saw = (...names: string[]) => names.forEach((n) => observed.add(n));

const tmp = mkdtempSync(path.join(tmpdir(), "wayfinder-config-"));
const SECRET = `config-test-${randomBytes(20).toString("hex")}`;
const REFERRAL_KEY = randomBytes(32);
const ISSUER = "https://issuer.config.test";
const AUDIENCE = "config-audience";
// The hosts are other loopback addresses than the default; the ports are ones the OS says are free
// there (each *_PORT must reach its process, so port 0 would prove nothing).
const SUBGRAPH_HOST = "127.0.0.3";
const GATEWAY_HOST = "127.0.0.2";
const PORTS = await (async () => {
  const [council, charity, health, directory] = await freePorts(SUBGRAPH_HOST, 4);
  const [gateway] = await freePorts(GATEWAY_HOST, 1);
  return {
    council: council!,
    charity: charity!,
    health: health!,
    directory: directory!,
    gateway: gateway!,
  };
})();
const MARKER = "Needs vocabulary, as served from SUPERGRAPH_PATH";
const OPERATOR = `operator-${randomBytes(12).toString("hex")}`;
const ORIGIN = "https://app.config.test";
const operator = { authorization: `Bearer ${OPERATOR}` };
const otlpCalls: string[] = [];
const processes: RunningProcess[] = [];
const servers: http.Server[] = [];
const schemas: string[] = [];
let es256: Awaited<ReturnType<typeof generateKeyPair>>;
let postcodeCalls: string[] = [];
let meiliCalls: { url: string; body: string; authorization?: string }[] = [];
let stack: RunningProcess;
let gatewayUrl = "";
const subgraphUrls: Record<string, string> = {};
let councilDb = "";
let directoryDb = "";

/** An HTTP server that records each request (with its body) and answers `status`. */
async function recorder(
  onRequest: (req: http.IncomingMessage, body: string) => void,
  status = 404,
): Promise<string> {
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    onRequest(req, body);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ status, error: "recorded" }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Requests through the proxy the gateway trusts (GATEWAY_TRUST_PROXY), from `client`. */
async function viaProxy(query: string, client: string, headers: Record<string, string> = {}) {
  const res = await fetch(gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "apollo-require-preflight": "true",
      "x-forwarded-for": client,
      ...headers,
    },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}
let clientNo = 0;
const freshClient = () => `10.20.${Math.floor(++clientNo / 250)}.${clientNo % 250}`;

const token = (claims: { iss?: string; aud?: string }) =>
  new SignJWT({ role: "professional" })
    .setProtectedHeader({ alg: "ES256" })
    .setSubject("config-test")
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setExpirationTime("30m")
    .sign(es256.privateKey);

beforeAll(async () => {
  es256 = await generateKeyPair("ES256", { extractable: true });
  const postcodes = await recorder((req) => postcodeCalls.push(req.url ?? ""));
  const otlp = await recorder((req) => otlpCalls.push(`${req.method} ${req.url}`), 200);
  const supergraph = readFileSync(path.join(ROOT, "schema", "supergraph.graphql"), "utf8");
  expect(supergraph).toContain('"""The shared needs vocabulary."""');
  writeFileSync(
    path.join(tmp, "supergraph.graphql"),
    supergraph.replace('"""The shared needs vocabulary."""', `"""${MARKER}"""`),
  );
  const dbEnv: Record<string, string> = {};
  if (hasPostgres) {
    councilDb = freshSchemaUrl("config_council");
    directoryDb = freshSchemaUrl("config_directory");
    schemas.push(councilDb, directoryDb);
    dbEnv.COUNCIL_DATABASE_URL = councilDb;
    dbEnv.DIRECTORY_DATABASE_URL = directoryDb;
  }
  stack = runNpm(["start"], {
    HOST: SUBGRAPH_HOST,
    GATEWAY_HOST,
    GATEWAY_PORT: String(PORTS.gateway),
    COUNCIL_PORT: String(PORTS.council),
    CHARITY_PORT: String(PORTS.charity),
    HEALTH_PORT: String(PORTS.health),
    DIRECTORY_PORT: String(PORTS.directory),
    DATA_DIR: path.join(tmp, "data"),
    SUPERGRAPH_PATH: path.join(tmp, "supergraph.graphql"),
    SEARCH_BACKEND: "orama",
    POSTCODES_URL: postcodes,
    SYNC_INTERVAL_MS: "1234",
    RECONCILE_INTERVAL_MS: "98765",
    INTERNAL_SECRET: SECRET,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_PUBLIC_KEY: await exportSPKI(es256.publicKey),
    AUTH_ALGORITHM: "ES256",
    GATEWAY_RATE_LIMIT_RPS: "0.001",
    GATEWAY_RATE_LIMIT_BURST: "3",
    GATEWAY_TRUST_PROXY: "true",
    GATEWAY_PARTNER_TIMEOUT_MS: "4321",
    GATEWAY_PARTNER_RETRIES: "3",
    GATEWAY_BREAKER_FAILURES: "7",
    GATEWAY_BREAKER_COOLDOWN_MS: "6543",
    LOG_LEVEL: "error",
    OPERATOR_TOKEN: OPERATOR,
    GATEWAY_CORS_ORIGINS: ORIGIN,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    REFERRAL_ENCRYPTION_KEY: REFERRAL_KEY.toString("hex"),
    ...dbEnv,
  });
  processes.push(stack);
  gatewayUrl = (await stack.waitFor(/Wayfinder gateway ready at (http:\/\/\S+)/))[1]!;
  for (const m of stack.output().matchAll(/^\s+(\w+)\s+subgraph\s+(http:\/\/\S+)/gm))
    subgraphUrls[m[1]!] = m[2]!;
}, 600_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  for (const s of servers) s.close();
  await Promise.all(schemas.map((s) => dropSchemaOf(s)));
  rmSync(tmp, { recursive: true, force: true });
});

describe("the configuration table reaches npm start", () => {
  it("HOST, GATEWAY_HOST and every *_PORT: where each part listens", async () => {
    expect(gatewayUrl).toBe(`http://${GATEWAY_HOST}:${PORTS.gateway}/graphql`);
    for (const name of [...PARTNERS, "directory"] as const) {
      expect(subgraphUrls[name], name).toBe(
        `http://${SUBGRAPH_HOST}:${PORTS[name as keyof typeof PORTS]}/graphql`,
      );
      expect((await fetch(new URL("/health", subgraphUrls[name]!))).status, name).toBe(200);
    }
    expect((await fetch(new URL("/health", gatewayUrl))).status).toBe(200);
    saw(
      "HOST",
      "GATEWAY_HOST",
      "GATEWAY_PORT",
      "COUNCIL_PORT",
      "CHARITY_PORT",
      "HEALTH_PORT",
      "DIRECTORY_PORT",
    );
  });

  it("DATA_DIR holds the embedded databases; *_DATABASE_URL and DIRECTORY_DATABASE_URL put data in PostgreSQL", async () => {
    for (const p of ["charity", "health"])
      expect(existsSync(path.join(tmp, "data", p)), p).toBe(true);
    saw("DATA_DIR");
    if (!hasPostgres) return;
    expect(existsSync(path.join(tmp, "data", "council"))).toBe(false);
    expect(existsSync(path.join(tmp, "data", "directory"))).toBe(false);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const schemaOf = (url: string) => new URL(url).searchParams.get("schema");
      const [{ n }] = (
        await client.query(`SELECT count(*)::int AS n FROM ${schemaOf(councilDb)}.service`)
      ).rows;
      expect(n).toBeGreaterThan(0);
      await eventually(async () => {
        const [{ m }] = (
          await client.query(`SELECT count(*)::int AS m FROM ${schemaOf(directoryDb)}.partner_sync`)
        ).rows;
        expect(m).toBeGreaterThan(0);
      }, 120_000);
    } finally {
      await client.end();
    }
    saw("COUNCIL_DATABASE_URL", "DIRECTORY_DATABASE_URL");
  });

  it.skipIf(!hasPostgres)(
    "REFERRAL_ENCRYPTION_KEY: a referral's personal data is sealed with that key, not the development one",
    async () => {
      const auth = { authorization: `Bearer ${await token({})}` };
      const found = await viaProxy(
        /* GraphQL */ `
          {
            searchServices(filter: { partners: [COUNCIL], acceptingReferrals: true }, first: 50) {
              edges {
                node {
                  id
                  status
                  ageRange {
                    minimumAge
                    maximumAge
                  }
                }
              }
            }
          }
        `,
        freshClient(),
        auth,
      );
      expect(found.body.errors).toBeUndefined();
      const service = found.body.data.searchServices.edges
        .map((e: any) => e.node)
        .find((n: any) => n.status === "ACTIVE");
      expect(service).toBeDefined();
      const age = service.ageRange?.minimumAge ?? 5;
      const dob = new Date(Date.now() - (age + 0.5) * 365.25 * 86_400_000)
        .toISOString()
        .slice(0, 10);
      const created = await viaProxy(
        /* GraphQL */ `mutation { createReferral(input: {
        serviceId: ${JSON.stringify(service.id)}, needs: [FAMILY_STRESS], reason: "Config test", urgency: ROUTINE,
        child: { name: "Zebedee Configtest", dateOfBirth: "${dob}", postcode: "NR2 4AB" },
        consent: { givenBy: "Parent", givenAt: "${new Date().toISOString().slice(0, 10)}", sharing: "Service only" },
        referrer: { name: "Config Test", email: "config@test.example" } }) { reference } }`,
        freshClient(),
        auth,
      );
      expect(created.body.errors, JSON.stringify(created.body.errors)).toBeUndefined();
      const reference = created.body.data.createReferral.reference;
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        const schema = new URL(councilDb).searchParams.get("schema");
        const [row] = (
          await client.query(`SELECT personal FROM ${schema}.referral WHERE id = $1`, [reference])
        ).rows;
        expect(row.personal).not.toContain("Zebedee");
        expect(
          createReferralCipher(REFERRAL_KEY).open<any>(row.personal, reference).child.name,
        ).toBe("Zebedee Configtest");
        expect(() => createReferralCipher(DEV_REFERRAL_KEY).open(row.personal, reference)).toThrow(
          /could not be opened/,
        );
      } finally {
        await client.end();
      }
      saw("REFERRAL_ENCRYPTION_KEY");
    },
  );

  it("SUPERGRAPH_PATH: the gateway serves that file (introspection is on: NODE_ENV is not production)", async () => {
    const res = await viaProxy(
      `{ __schema { queryType { fields { name description } } } }`,
      freshClient(),
    );
    const needs = res.body.data.__schema.queryType.fields.find(
      (f: { name: string }) => f.name === "needs",
    );
    expect(needs.description).toBe(MARKER);
    saw("SUPERGRAPH_PATH", "NODE_ENV");
  });

  it("INTERNAL_SECRET: the subgraphs trust it, and no longer the development secret", async () => {
    for (const p of PARTNERS) {
      const feed = new URL("/changes", subgraphUrls[p]!);
      expect(
        (
          await fetch(feed, {
            headers: {
              [CLAIMS_HEADER]: await signClaims(SYNC_CLAIMS, SECRET, { audience: p, body: "" }),
            },
          })
        ).status,
        p,
      ).toBe(200);
      expect(
        (
          await fetch(feed, {
            headers: {
              [CLAIMS_HEADER]: await signClaims(SYNC_CLAIMS, DEV_INTERNAL_SECRET, {
                audience: p,
                body: "",
              }),
            },
          })
        ).status,
        p,
      ).toBe(401);
    }
    saw("INTERNAL_SECRET");
  });

  it("AUTH_ISSUER, AUTH_AUDIENCE, AUTH_PUBLIC_KEY, AUTH_ALGORITHM: the tokens the gateway accepts", async () => {
    // npm start's generated data: some of these services have referral notes for professionals.
    const query = /* GraphQL */ `
      {
        searchServices(first: 50) {
          edges {
            node {
              referralNotes
            }
          }
        }
      }
    `;
    const notes = (body: any) =>
      body.data.searchServices.edges
        .map((e: any) => e.node.referralNotes)
        .filter((n: unknown) => typeof n === "string");
    const ok = await viaProxy(query, freshClient(), { authorization: `Bearer ${await token({})}` });
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    expect(notes(ok.body).length).toBeGreaterThan(0);
    expect(notes((await viaProxy(query, freshClient())).body)).toEqual([]);
    expect(
      (
        await viaProxy(query, freshClient(), {
          authorization: `Bearer ${await token({ aud: "wayfinder" })}`,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await viaProxy(query, freshClient(), {
          authorization: `Bearer ${await token({ iss: "wayfinder-dev" })}`,
        })
      ).status,
    ).toBe(401);
    saw("AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_PUBLIC_KEY", "AUTH_ALGORITHM");
  });

  it("GATEWAY_RATE_LIMIT_RPS, GATEWAY_RATE_LIMIT_BURST, GATEWAY_TRUST_PROXY: one client's fourth request is refused", async () => {
    const client = freshClient();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await viaProxy("{ __typename }", client)).status);
    // A refill rate of 0.001/s adds no token between these four requests: the burst of 3 is all.
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The trusted proxy's X-Forwarded-For names the client, so another one is not limited.
    expect((await viaProxy("{ __typename }", freshClient())).status).toBe(200);
    saw("GATEWAY_RATE_LIMIT_RPS", "GATEWAY_RATE_LIMIT_BURST", "GATEWAY_TRUST_PROXY");
  });

  it("GATEWAY_PARTNER_* and GATEWAY_BREAKER_*: the policy of every partner connection", async () => {
    const ready = await (await fetch(new URL("/ready", gatewayUrl), { headers: operator })).json();
    for (const name of [...PARTNERS, "directory"]) {
      expect(ready.connections[name], name).toMatchObject({
        policy: { timeoutMs: 4321, retries: 3, failureThreshold: 7, coolDownMs: 6543 },
      });
    }
    saw(
      "GATEWAY_PARTNER_TIMEOUT_MS",
      "GATEWAY_PARTNER_RETRIES",
      "GATEWAY_BREAKER_FAILURES",
      "GATEWAY_BREAKER_COOLDOWN_MS",
    );
  });

  it("SEARCH_BACKEND, SYNC_INTERVAL_MS, RECONCILE_INTERVAL_MS: the directory's index and schedule", async () => {
    const ready = await (
      await fetch(new URL("/ready", subgraphUrls.directory!), { headers: operator })
    ).json();
    expect(ready.backend).toBe("orama");
    expect(stack.output()).toContain("search: orama; sync every 1234 ms, reconcile every 98765 ms");
    saw("SEARCH_BACKEND", "SYNC_INTERVAL_MS", "RECONCILE_INTERVAL_MS");
  });

  it("OPERATOR_TOKEN: it opens /metrics on every process, and nothing else does", async () => {
    for (const url of [gatewayUrl, ...Object.values(subgraphUrls)]) {
      expect((await fetch(new URL("/metrics", url), { headers: operator })).status, url).toBe(200);
      expect(
        (
          await fetch(new URL("/metrics", url), {
            headers: { authorization: "Bearer not-the-operator-token" },
          })
        ).status,
        url,
      ).not.toBe(200);
    }
    saw("OPERATOR_TOKEN");
  });

  it("GATEWAY_CORS_ORIGINS: a preflight from that origin is allowed, another is not", async () => {
    const preflight = (origin: string) =>
      fetch(gatewayUrl, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "x-forwarded-for": freshClient(),
        },
      });
    expect((await preflight(ORIGIN)).headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(
      (await preflight("https://elsewhere.test")).headers.get("access-control-allow-origin"),
    ).toBeNull();
    saw("GATEWAY_CORS_ORIGINS");
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT: traces are sent there", async () => {
    await viaProxy("{ __typename }", freshClient());
    await eventually(async () => expect(otlpCalls).toContain("POST /v1/traces"), 120_000);
    saw("OTEL_EXPORTER_OTLP_ENDPOINT");
  });

  it("POSTCODES_URL: the directory asks that service for a postcode", async () => {
    postcodeCalls = [];
    const res = await viaProxy(
      /* GraphQL */ `
        {
          routeChild(profile: { age: 9, needs: [AUTISM], postcode: "NR2 1AA" }) {
            needs {
              need
            }
          }
        }
      `,
      freshClient(),
    );
    expect(res.status).toBe(200);
    expect(postcodeCalls.some((u) => u.includes("NR2"))).toBe(true);
    saw("POSTCODES_URL");
  });
});

describe("the configuration table reaches the separate processes", () => {
  it("COUNCIL_URL … DIRECTORY_URL, GATEWAY_COMPOSE=live and LOG_LEVEL reach npm run start:gateway", async () => {
    const urls = Object.fromEntries(
      Object.entries(subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url]),
    );
    const gw = runNpm(["start:gateway"], {
      ...urls,
      GATEWAY_COMPOSE: "live",
      // Live composition needs no supergraph file: this one does not exist.
      SUPERGRAPH_PATH: path.join(tmp, "missing.graphql"),
      GATEWAY_PORT: "0",
      GATEWAY_RATE_LIMIT_RPS: "0",
      INTERNAL_SECRET: SECRET,
      OPERATOR_TOKEN: OPERATOR,
      LOG_LEVEL: "info",
    });
    processes.push(gw);
    const url = (await gw.waitFor(READY_URL))[1]!;
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
      body: JSON.stringify({
        query: `{ searchServices(first: 1) { totalCount edges { node { name } } } }`,
      }),
    });
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.searchServices.totalCount).toBeGreaterThan(0);
    expect(typeof body.data.searchServices.edges[0].node.name).toBe("string");
    const ready = await (await fetch(new URL("/ready", url), { headers: operator })).json();
    for (const [name, u] of Object.entries(subgraphUrls))
      expect(ready.connections[name]?.url, name).toBe(u);
    // LOG_LEVEL=info: the request was logged; npm start's LOG_LEVEL=error logged no request at all.
    await eventually(
      async () => expect(gw.output()).toMatch(/"level":30.*"service":"gateway"/),
      60_000,
    );
    expect(stack.output()).not.toMatch(/"level":30/);
    saw(
      "COUNCIL_URL",
      "CHARITY_URL",
      "HEALTH_URL",
      "DIRECTORY_URL",
      "GATEWAY_COMPOSE",
      "LOG_LEVEL",
    );
    await gw.stop();
  });

  it("MEILI_URL, MEILI_API_KEY, MEILI_INDEX reach npm run start:subgraph -- directory", async () => {
    meiliCalls = [];
    const meili = await recorder(
      (req, body) =>
        meiliCalls.push({ url: req.url ?? "", body, authorization: req.headers.authorization }),
      503,
    );
    const dir = runNpm(["start:subgraph", "--", "directory"], {
      MEILI_URL: meili,
      MEILI_API_KEY: "config-test-meili-key",
      MEILI_INDEX: "config_test_index",
      DIRECTORY_PORT: "0",
      DATA_DIR: path.join(tmp, "meili-data"),
      INTERNAL_SECRET: SECRET,
      LOG_LEVEL: "error",
    });
    processes.push(dir);
    await eventually(async () => {
      expect(meiliCalls.length).toBeGreaterThan(0);
    }, 180_000);
    expect(meiliCalls.some((c) => `${c.url} ${c.body}`.includes("config_test_index"))).toBe(true);
    expect(meiliCalls.every((c) => c.authorization === "Bearer config-test-meili-key")).toBe(true);
    saw("MEILI_URL", "MEILI_API_KEY", "MEILI_INDEX");
    await dir.stop();
  });

  it("every variable in the README's table was observed here or in the test named for it", () => {
    const names = readmeVariables();
    expect(names.length).toBeGreaterThan(30);
    // Without PostgreSQL the database variables cannot be observed (the PostgreSQL tests are skipped).
    const needsPostgres = hasPostgres
      ? []
      : ["COUNCIL_DATABASE_URL", "DIRECTORY_DATABASE_URL", "REFERRAL_ENCRYPTION_KEY"];
    const unobserved = names.filter(
      (n) => !observed.has(n) && !(n in OBSERVED_ELSEWHERE) && !needsPostgres.includes(n),
    );
    expect(unobserved).toEqual([]);
    const stale = Object.keys(OBSERVED_ELSEWHERE).filter((n) => !names.includes(n));
    expect(stale).toEqual([]);
  });
});

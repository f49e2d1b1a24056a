// The production-shaped stack, started the ways operators start it, with production settings:
// NODE_ENV=production, a non-default INTERNAL_SECRET, partners on PostgreSQL, a real RS256 key.
//   1. As docker-compose.yml runs it: `npm run start:subgraph -- <name>` for every subgraph and
//      `npm run start:gateway`, each its own process — one gateway with AUTH_PUBLIC_KEY and one with
//      AUTH_JWKS_URL (a JWKS server this test runs).
//   2. `npm start` (one process) with the same settings.
// Each passes the same checks: a cross-partner search finds all three partners; a professional-only
// field with a token from that key; claims signed with the development secret get 401 at every
// subgraph and at /changes; a development token gets 401 at the gateway; introspection is off.
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTNERS } from "../schema/vocabulary.ts";
import { CLAIMS_HEADER, SYNC_CLAIMS, scopesFor, signClaims } from "../platform/claims.ts";
import { DEV_INTERNAL_SECRET } from "../platform/config.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { openDb } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { DATASET } from "./fixtures/dataset.ts";
import { dropSchemaOf, freshSchemaUrl, hasPostgres } from "./helpers/postgres.ts";
import { eventually } from "./helpers/stack.ts";
import { CREATE, referralInput } from "./helpers/referrals.ts";
import { READY_URL, runNpm, type RunningProcess } from "./helpers/processes.ts";

const ISSUER = "https://idp.wayfinder.test";
const INTERNAL_SECRET = `prod-test-${randomBytes(24).toString("hex")}`;
const started: RunningProcess[] = [];
const schemaUrls: string[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), "wayfinder-prod-"));
let jwksServer: http.Server;
let jwksUrl: string;
let publicKeyPem: string;
let professionalToken: string;
const dbUrls = {} as Record<string, string>;

beforeAll(async () => {
  if (!hasPostgres) return;
  const idp = await generateKeyPair("RS256", { extractable: true });
  publicKeyPem = await exportSPKI(idp.publicKey);
  const jwk = { ...(await exportJWK(idp.publicKey)), kid: "prod-test", alg: "RS256", use: "sig" };
  jwksServer = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", () => r()));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  professionalToken = await new SignJWT({ role: "professional" })
    .setProtectedHeader({ alg: "RS256", kid: "prod-test" })
    .setSubject("gp-prod-test")
    .setIssuer(ISSUER)
    .setAudience("wayfinder")
    .setExpirationTime("30m")
    .sign(idp.privateKey);
  // Each partner on its own fresh PostgreSQL schema, loaded as an operator would before going live.
  for (const p of PARTNERS) {
    const url = freshSchemaUrl(`prod_${p}`);
    schemaUrls.push(url);
    dbUrls[p] = url;
    const db = await openDb({ url });
    await importHsds(db, validateHsds(DATASET[p]!));
    await db.close();
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  jwksServer?.close();
  await Promise.all(schemaUrls.map((u) => dropSchemaOf(u)));
  rmSync(dataDir, { recursive: true, force: true });
});

/** The production settings every process gets (docker-compose.yml's, with test values). */
function productionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "production",
    INTERNAL_SECRET,
    REFERRAL_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
    DATA_DIR: dataDir,
    ...Object.fromEntries(PARTNERS.map((p) => [`${p.toUpperCase()}_DATABASE_URL`, dbUrls[p]!])),
    ...extra,
  };
}

const AUTH_PEM = () => ({ AUTH_ISSUER: ISSUER, AUTH_PUBLIC_KEY: publicKeyPem });
const AUTH_JWKS = () => ({ AUTH_ISSUER: ISSUER, AUTH_JWKS_URL: jwksUrl });

function start(args: string[], env: Record<string, string>): RunningProcess {
  const p = runNpm(args, env);
  started.push(p);
  return p;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

interface Deployment {
  gatewayUrl: string;
  /** GraphQL URL of every subgraph, partners and the directory. */
  subgraphs: Record<string, string>;
}

/** The checks every way of starting production must pass. */
function productionChecks(name: string, deployment: () => Deployment) {
  describe(name, () => {
    it("a cross-partner search returns services from all three partners", async () => {
      const { gatewayUrl } = deployment();
      // The directory indexes each partner through its change feed, which needs INTERNAL_SECRET.
      const partners = await eventually(async () => {
        const res = await post(gatewayUrl, {
          query: /* GraphQL */ `
            {
              searchServices(first: 100) {
                totalCount
                edges {
                  node {
                    partner
                  }
                }
              }
            }
          `,
        });
        expect(res.body.errors).toBeUndefined();
        const seen = [
          ...new Set(
            res.body.data.searchServices.edges.map((e: { node: { partner: string } }) =>
              e.node.partner.toLowerCase(),
            ),
          ),
        ].sort();
        expect(seen).toEqual([...PARTNERS].sort());
        return seen;
      }, 180_000);
      expect(partners).toHaveLength(3);
    });

    it("routeChild with the profile in variables is answered by the gateway's route replica, as the directory answers it", async () => {
      const { gatewayUrl } = deployment();
      const selection = `{ needs { need status services { service { id name partner } coversNeeds reasons distanceKm stale } gaps { kind message } } level { level reason } leadAgency { partner } offlinePartners }`;
      const profile = { age: 9, needs: ["MENTAL_HEALTH", "ADHD"], postcode: "NR2 4AB" };
      const ask = async (body: unknown) => {
        const res = await fetch(gatewayUrl, {
          method: "POST",
          headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
          body: JSON.stringify(body),
        });
        return { route: res.headers.get("x-wayfinder-route"), body: (await res.json()) as any };
      };
      // The replica reads every partner's feed with the gateway's INTERNAL_SECRET before it answers.
      const mine = await eventually(async () => {
        const r = await ask({
          query: `query Route($profile: ChildProfileInput!) { routeChild(profile: $profile) ${selection} }`,
          variables: { profile },
        });
        expect(r.route).toBe("replica");
        return r;
      }, 120_000);
      expect(mine.body.errors).toBeUndefined();
      // The same profile written into the query text is planned by the directory's process.
      const theirs = await ask({
        query: `{ routeChild(profile: { age: 9, needs: [MENTAL_HEALTH, ADHD], postcode: "NR2 4AB" }) ${selection} }`,
      });
      expect(theirs.route).toBeNull();
      expect(mine.body).toEqual(theirs.body);
      const services = mine.body.data.routeChild.needs.flatMap((n: any) => n.services);
      expect(new Set(services.map((s: any) => s.service.partner)).size).toBeGreaterThan(1);
    });

    it("the ORUK API serves each partner's services, a refuge's address only to a professional", async () => {
      const { gatewayUrl } = deployment();
      const oruk = (path: string, headers: Record<string, string> = {}) =>
        fetch(new URL(path, gatewayUrl), { headers });
      // One service of each partner (council, charity, health), by its HSDS id.
      for (const id of ["fh-norwich", "refuge-norfolk", "camhs-norwich"]) {
        const res = await eventually(async () => {
          const r = await oruk(`/oruk/services/${id}`);
          expect(r.status, id).toBe(200);
          return r;
        }, 180_000);
        expect(res.headers.get("access-control-allow-origin")).toBe("*");
        expect((await res.json()).id).toBe(id);
      }
      const list = await (await oruk("/oruk/services?per_page=100")).json();
      expect(list.total_items).toBeGreaterThanOrEqual(3);
      const publicText = await (await oruk("/oruk/services/refuge-norfolk")).text();
      expect(publicText).not.toContain("NR3 4ZZ");
      expect(publicText).not.toContain("52.6519");
      const pro = await (
        await oruk("/oruk/services/refuge-norfolk", {
          authorization: `Bearer ${professionalToken}`,
        })
      ).text();
      expect(pro).toContain("NR3 4ZZ");
    });

    it("a token signed by the configured RS256 key reads a professional-only field", async () => {
      const { gatewayUrl } = deployment();
      const query = /* GraphQL */ `
        {
          service(id: "council:fh-norwich") {
            referralNotes
          }
        }
      `;
      const res = await post(
        gatewayUrl,
        { query },
        { authorization: `Bearer ${professionalToken}` },
      );
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.service.referralNotes).toContain("Norwich Family Hub");
      // Without it, the field is withheld.
      const anonymous = await post(gatewayUrl, { query });
      expect(anonymous.body.data?.service?.referralNotes ?? null).toBeNull();
    });

    it("a professional's referral crosses the processes to the owning partner, signed with the real secret", async () => {
      const { gatewayUrl } = deployment();
      const res = await post(
        gatewayUrl,
        { query: CREATE, variables: { input: referralInput(new Date()) } },
        { authorization: `Bearer ${professionalToken}` },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.createReferral).toMatchObject({
        partner: "COUNCIL",
        status: "NEW",
        service: { id: "council:fh-norwich" },
      });
      // Anonymous callers cannot refer.
      const anonymous = await post(gatewayUrl, {
        query: CREATE,
        variables: { input: referralInput(new Date()) },
      });
      expect(anonymous.body.data?.createReferral ?? null).toBeNull();
      expect(anonymous.body.errors?.length).toBeGreaterThan(0);
    });

    it("a development token is refused at the gateway", async () => {
      const { gatewayUrl } = deployment();
      const devToken = await mintDevToken({ role: "professional" });
      const res = await post(
        gatewayUrl,
        { query: "{ __typename }" },
        { authorization: `Bearer ${devToken}` },
      );
      expect(res.status).toBe(401);
    });

    it("claims signed with the development secret get 401 at every subgraph and at /changes", async () => {
      const { subgraphs } = deployment();
      expect(Object.keys(subgraphs).sort()).toEqual([...PARTNERS, "directory"].sort());
      const mallory = {
        sub: "mallory",
        role: "partner-admin",
        partner: "council",
        scopes: scopesFor("partner-admin", "council"),
      } as const;
      const body = { query: "{ __typename }" };
      for (const [name, url] of Object.entries(subgraphs)) {
        // Addressed to this subgraph and signed over this body: only the secret is wrong.
        const forgedAdmin = await signClaims(mallory, DEV_INTERNAL_SECRET, {
          audience: name,
          body: JSON.stringify(body),
        });
        const res = await post(url, body, { [CLAIMS_HEADER]: forgedAdmin });
        expect(res.status, `${name} GraphQL`).toBe(401);
      }
      for (const p of PARTNERS) {
        const feed = new URL("/changes", subgraphs[p]!);
        const forgedSync = await signClaims(SYNC_CLAIMS, DEV_INTERNAL_SECRET, {
          audience: p,
          body: "",
        });
        const forged = await fetch(feed, { headers: { [CLAIMS_HEADER]: forgedSync } });
        expect(forged.status, `${p} /changes`).toBe(401);
        // The configured secret is the one the partner holds: the same request signed with it passes.
        const real = await fetch(feed, {
          headers: {
            [CLAIMS_HEADER]: await signClaims(SYNC_CLAIMS, INTERNAL_SECRET, {
              audience: p,
              body: "",
            }),
          },
        });
        expect(real.status, `${p} /changes with INTERNAL_SECRET`).toBe(200);
      }
    });

    it("introspection is off", async () => {
      const { gatewayUrl } = deployment();
      const res = await post(gatewayUrl, { query: "{ __schema { queryType { name } } }" });
      expect(res.body.data?.__schema).toBeUndefined();
      expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    });
  });
}

describe.runIf(hasPostgres)(
  "production as docker-compose runs it: one process per subgraph and the gateway",
  () => {
    const subgraphs: Record<string, string> = {};
    const gateways: Record<"pem" | "jwks", string> = { pem: "", jwks: "" };
    const partnerProcesses: Record<string, RunningProcess> = {};

    beforeAll(async () => {
      const partners = PARTNERS.map((p) =>
        start(
          ["start:subgraph", "--", p],
          productionEnv({ HOST: "127.0.0.1", [`${p.toUpperCase()}_PORT`]: "0" }),
        ),
      );
      PARTNERS.forEach((p, i) => (partnerProcesses[p] = partners[i]!));
      const urls = await Promise.all(partners.map((p) => p.waitFor(READY_URL)));
      PARTNERS.forEach((p, i) => (subgraphs[p] = urls[i]![1]!));
      const partnerUrls = Object.fromEntries(
        PARTNERS.map((p) => [`${p.toUpperCase()}_URL`, subgraphs[p]!]),
      );
      const directory = start(
        ["start:subgraph", "--", "directory"],
        productionEnv({ DIRECTORY_PORT: "0", SYNC_INTERVAL_MS: "500", ...partnerUrls }),
      );
      subgraphs.directory = (await directory.waitFor(READY_URL))[1]!;
      const gatewayEnv = {
        GATEWAY_PORT: "0",
        GATEWAY_HOST: "127.0.0.1",
        ...partnerUrls,
        DIRECTORY_URL: subgraphs.directory,
        GATEWAY_RATE_LIMIT_RPS: "0",
      };
      const [pem, jwks] = [
        start(["start:gateway"], productionEnv({ ...gatewayEnv, ...AUTH_PEM() })),
        start(["start:gateway"], productionEnv({ ...gatewayEnv, ...AUTH_JWKS() })),
      ];
      gateways.pem = (await pem.waitFor(READY_URL))[1]!;
      gateways.jwks = (await jwks.waitFor(READY_URL))[1]!;
    }, 600_000);

    productionChecks("gateway with AUTH_PUBLIC_KEY", () => ({
      gatewayUrl: gateways.pem,
      subgraphs,
    }));
    productionChecks("gateway with AUTH_JWKS_URL", () => ({
      gatewayUrl: gateways.jwks,
      subgraphs,
    }));

    // Last: it stops a partner's process.
    it("with the health partner's process stopped, the ORUK API answers 503 for its services, 200 for the others, and the route replica routes with health offline", async () => {
      await partnerProcesses.health!.stop();
      // A professional's request: never answered from the public read cache.
      const oruk = (path: string) =>
        fetch(new URL(path, gateways.pem), {
          headers: { authorization: `Bearer ${professionalToken}` },
        });
      const down = await eventually(async () => {
        const r = await oruk("/oruk/services/camhs-norwich");
        expect(r.status).toBe(503);
        return r;
      });
      expect(down.headers.get("retry-after")).toBe("30");
      expect(((await down.json()) as { error: string }).error).toContain("health");
      const council = await oruk("/oruk/services/fh-norwich");
      expect(council.status).toBe(200);
      expect(((await council.json()) as { id: string }).id).toBe("fh-norwich");
      // The gateway's route replica, in its own process, names health offline and still routes.
      const routed = await eventually(async () => {
        const res = await fetch(gateways.pem, {
          method: "POST",
          headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
          body: JSON.stringify({
            query: `query Route($profile: ChildProfileInput!) { routeChild(profile: $profile) { needs { services { service { partner } stale } } offlinePartners } }`,
            variables: {
              profile: { age: 9, needs: ["MENTAL_HEALTH", "ADHD"], postcode: "NR2 4AB" },
            },
          }),
        });
        const body = (await res.json()) as any;
        expect(res.headers.get("x-wayfinder-route")).toBe("replica");
        expect(body.data.routeChild.offlinePartners).toEqual(["HEALTH"]);
        return body;
      });
      const health = routed.data.routeChild.needs
        .flatMap((n: any) => n.services)
        .filter((s: any) => s.service.partner === "HEALTH");
      expect(health.length).toBeGreaterThan(0);
      expect(health.every((s: any) => s.stale)).toBe(true);
    });
  },
);

describe.runIf(hasPostgres)("production through npm start (one process, the same settings)", () => {
  const deployment: Deployment = { gatewayUrl: "", subgraphs: {} };

  beforeAll(async () => {
    const ports = Object.fromEntries(
      [...PARTNERS, "directory", "gateway"].map((s) => [`${s.toUpperCase()}_PORT`, "0"]),
    );
    const stack = start(
      ["start"],
      productionEnv({
        DATA_DIR: mkdtempSync(path.join(tmpdir(), "wayfinder-prod-start-")),
        ...ports,
        ...AUTH_PEM(),
        SYNC_INTERVAL_MS: "500",
        GATEWAY_RATE_LIMIT_RPS: "0",
      }),
    );
    deployment.gatewayUrl = (await stack.waitFor(/Wayfinder gateway ready at (http:\/\/\S+)/))[1]!;
    for (const m of stack.output().matchAll(/^\s+(\w+)\s+subgraph\s+(http:\/\/\S+)/gm))
      deployment.subgraphs[m[1]!] = m[2]!;
    // It says it is production, and loaded no generated data into the partners' databases.
    expect(stack.output()).toContain("(production,");
    expect(stack.output()).not.toContain("first run, loaded");
  }, 600_000);

  productionChecks("npm start with AUTH_PUBLIC_KEY", () => deployment);
});

// Identity and field-level access: every protected field × every role, through the gateway and
// directly at a subgraph; bad tokens; subgraphs refusing calls that did not come from the gateway.
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { sharedTestStack, testGatewayConfig, type SharedStackUrls } from "./helpers/stack.ts";
import {
  DEV_ISSUER,
  DEFAULT_AUDIENCE,
  DEV_JWT_SECRET,
  authConfig,
  mintDevToken,
} from "../gateway/auth.ts";
import {
  CLAIMS_HEADER,
  PUBLIC_CLAIMS,
  scopesFor,
  signClaims,
  type Claims,
} from "../platform/claims.ts";
import { DEV_INTERNAL_SECRET } from "../platform/config.ts";
import { commonConfig } from "../platform/config.ts";

// The run's shared stack: this file only reads through it.
let stack: SharedStackUrls;
beforeAll(async () => {
  stack = await sharedTestStack();
});

/** A claims binding for a direct call to `subgraph` with post()'s body for `query`. */
const bound = (subgraph: string, query: string) => ({
  audience: subgraph,
  body: JSON.stringify({ query }),
});

async function post(url: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const ROLES = {
  anonymous: async () => ({}),
  professional: async () => ({
    authorization: `Bearer ${await mintDevToken({ role: "professional" })}`,
  }),
  "council admin": async () => ({
    authorization: `Bearer ${await mintDevToken({ role: "partner-admin", partner: "council" })}`,
  }),
  "charity admin": async () => ({
    authorization: `Bearer ${await mintDevToken({ role: "partner-admin", partner: "charity" })}`,
  }),
} as const;

// Each protected field: the query, how to read the value, and what a professional should see.
const FIELDS = [
  {
    name: "Location.exact (a refuge's address and position)",
    query: `{ service(id: "charity:refuge-norfolk") { name locations { area exact { latitude address { postalCode } } } } }`,
    value: (d: any) => d?.service?.locations?.[0]?.exact,
    expected: { latitude: 52.6519, address: { postalCode: "NR3 4ZZ" } },
  },
  {
    name: "Service.referralNotes",
    query: `{ service(id: "council:fh-norwich") { name referralNotes } }`,
    value: (d: any) => d?.service?.referralNotes,
    expected:
      "Referrals to Norwich Family Hub: include the family's consent and any Early Help Assessment.",
  },
  {
    name: "Service.professionalContacts",
    query: `{ service(id: "council:fh-norwich") { name professionalContacts { name phone } } }`,
    value: (d: any) => d?.service?.professionalContacts,
    expected: [{ name: "Professionals' duty line", phone: "01603 999999" }],
  },
];

describe("field-level access through the gateway", () => {
  for (const field of FIELDS) {
    for (const [role, headers] of Object.entries(ROLES)) {
      it(`${field.name} × ${role}`, async () => {
        const { status, body } = await post(stack.gatewayUrl, field.query, await headers());
        expect(status).toBe(200);
        // Everyone still gets the service itself and its safe, public fields.
        expect(body.data.service.name).toBeTruthy();
        if (role === "anonymous") {
          expect(field.value(body.data) ?? null).toBeNull();
          expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
        } else {
          expect(body.errors).toBeUndefined();
          expect(field.value(body.data)).toEqual(field.expected);
        }
      });
    }
  }

  it("gives the anonymous public the area and a safe contact for a refuge", async () => {
    const { body } = await post(
      stack.gatewayUrl,
      `{ service(id: "charity:refuge-norfolk") { locations { area latitude address { postalCode } } contacts { phone } } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.service).toEqual({
      locations: [{ area: "Norwich, NR3", latitude: null, address: null }],
      contacts: [{ phone: "01603 000000" }],
    });
  });
});

describe("bad tokens at the gateway", () => {
  const sign = (
    claims: Record<string, unknown>,
    opts: { secret?: string; issuer?: string; audience?: string; exp?: string | number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("someone")
      .setIssuer(opts.issuer ?? DEV_ISSUER)
      .setAudience(opts.audience ?? DEFAULT_AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(opts.exp ?? "1h")
      .sign(new TextEncoder().encode(opts.secret ?? DEV_JWT_SECRET));

  it.each([
    [
      "expired",
      () => sign({ role: "professional" }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      /expired/,
    ],
    [
      "forged (wrong key)",
      () => sign({ role: "professional" }, { secret: "x".repeat(64) }),
      /signature/,
    ],
    ["wrong audience", () => sign({ role: "professional" }, { audience: "someone-else" }), /aud/],
    [
      "wrong issuer",
      () => sign({ role: "professional" }, { issuer: "https://evil.example" }),
      /iss/,
    ],
    ["unknown role", () => sign({ role: "superuser" }), /role/],
    ["admin without partner", () => sign({ role: "partner-admin" }), /partner/],
    ["not a bearer token", async () => "", /Bearer/],
  ])("refuses a %s token with 401 UNAUTHENTICATED", async (_name, make, message) => {
    const token = await make();
    const { status, body } = await post(stack.gatewayUrl, `{ needs { code } }`, {
      authorization: token ? `Bearer ${token}` : "Basic abc",
    });
    expect(status).toBe(401);
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(body.errors[0].message).toMatch(message);
  });
});

describe("subgraphs only answer the gateway", () => {
  const claimsFor = (role: keyof typeof ROLES): Claims =>
    role === "anonymous"
      ? PUBLIC_CLAIMS
      : role === "professional"
        ? { sub: "p", role: "professional", partner: null, scopes: scopesFor("professional", null) }
        : {
            sub: "a",
            role: "partner-admin",
            partner: role === "council admin" ? "council" : "charity",
            scopes: scopesFor("partner-admin", role === "council admin" ? "council" : "charity"),
          };

  it("refuses a direct call with no claims header, or a forged or expired one", async () => {
    const url = stack.partners.council.url;
    const query = `{ _entities(representations: [{ __typename: "CouncilService", id: "council:fh-norwich" }]) { ... on CouncilService { name } } }`;
    const none = await post(url, query);
    expect(none.status).toBe(401);
    expect(none.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const forged = await post(url, query, {
      [CLAIMS_HEADER]: await signClaims(
        claimsFor("professional"),
        "y".repeat(64),
        bound("council", query),
      ),
    });
    expect(forged.status).toBe(401);
    const expired = await post(url, query, {
      [CLAIMS_HEADER]: await signClaims(
        claimsFor("professional"),
        DEV_INTERNAL_SECRET,
        bound("council", query),
        -10,
      ),
    });
    expect(expired.status).toBe(401);
    for (const sub of [
      stack.partners.charity.url,
      stack.partners.health.url,
      stack.directory.http.url,
    ]) {
      expect((await post(sub, `{ __typename }`)).status).toBe(401);
    }
  });

  it("refuses the change feed to anyone but the directory's service token", async () => {
    const feed = new URL("/changes?since=0", stack.partners.council.url);
    expect((await fetch(feed)).status).toBe(401);
    const asProfessional = await fetch(feed, {
      headers: {
        [CLAIMS_HEADER]: await signClaims(claimsFor("professional"), DEV_INTERNAL_SECRET, {
          audience: "council",
          body: "",
        }),
      },
    });
    expect(asProfessional.status).toBe(403);
  });

  for (const field of FIELDS) {
    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      it(`enforces ${field.name} × ${role} at the subgraph itself`, async () => {
        // The same rule holds when the subgraph is called with gateway-signed claims directly.
        const [partner, id] = field.query.includes("charity:")
          ? ["charity", "charity:refuge-norfolk"]
          : ["council", "council:fh-norwich"];
        const typename = partner === "charity" ? "CharityService" : "CouncilService";
        const selection = field.query.slice(
          field.query.indexOf("{ name") + 1,
          field.query.lastIndexOf("}", field.query.lastIndexOf("}") - 1),
        );
        const query = `{ _entities(representations: [{ __typename: "${typename}", id: "${id}" }]) { ... on ${typename} ${"{" + selection + "}"} } }`;
        const { status, body } = await post(stack.partners[partner as "council"].url, query, {
          [CLAIMS_HEADER]: await signClaims(
            claimsFor(role),
            DEV_INTERNAL_SECRET,
            bound(partner!, query),
          ),
        });
        expect(status).toBe(200);
        const value = field.value({ service: body.data?._entities?.[0] });
        if (role === "anonymous") {
          expect(value ?? null).toBeNull();
          expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
        } else {
          expect(body.errors).toBeUndefined();
          expect(value).toEqual(field.expected);
        }
      });
    }
  }
});

describe("production configuration", () => {
  it("refuses the development key and secrets", async () => {
    expect(() => authConfig({ NODE_ENV: "production" })).toThrow(
      /AUTH_JWKS_URL or AUTH_PUBLIC_KEY/,
    );
    await expect(mintDevToken({ role: "professional", production: true })).rejects.toThrow(
      /production/,
    );
    expect(() => commonConfig({ NODE_ENV: "production" })).toThrow(/INTERNAL_SECRET/);
    expect(() =>
      commonConfig({ NODE_ENV: "production", INTERNAL_SECRET: "s".repeat(40) }),
    ).not.toThrow();
  });
});

describe("identity providers and the token script", () => {
  it("verifies tokens from a JWKS URL or a configured public key, and refuses others", async () => {
    const { generateKeyPair, exportJWK, exportSPKI } = await import("jose");
    const http = await import("node:http");
    const { startGateway } = await import("../gateway/server.ts");
    const idp = await generateKeyPair("RS256");
    const stranger = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(idp.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    const issuer = "https://idp.example.test";
    const token = (key: CryptoKey, kid = "k1") =>
      new SignJWT({ role: "professional" })
        .setProtectedHeader({ alg: "RS256", kid })
        .setSubject("gp-123")
        .setIssuer(issuer)
        .setAudience("wayfinder")
        .setExpirationTime("5m")
        .sign(key);
    const subgraphUrls = {
      ...Object.fromEntries(Object.entries(stack.partners).map(([p, h]) => [p, h.url])),
      directory: stack.directory.http.url,
    };
    const query = `{ service(id: "council:fh-norwich") { referralNotes } }`;
    const viaJwks = await startGateway({
      ...testGatewayConfig(),
      host: "127.0.0.1",
      port: 0,
      supergraphPath: "schema/supergraph.graphql",
      subgraphUrls,
      rateLimit: false,
      auth: { issuer, audience: "wayfinder", jwksUrl, algorithm: "RS256", production: false },
    });
    const viaPem = await startGateway({
      ...testGatewayConfig(),
      host: "127.0.0.1",
      port: 0,
      supergraphPath: "schema/supergraph.graphql",
      subgraphUrls,
      rateLimit: false,
      auth: {
        issuer,
        audience: "wayfinder",
        publicKey: await exportSPKI(idp.publicKey),
        algorithm: "RS256",
        production: false,
      },
    });
    try {
      for (const gw of [viaJwks, viaPem]) {
        const ok = await post(gw.url, query, {
          authorization: `Bearer ${await token(idp.privateKey)}`,
        });
        expect(ok.body.data.service.referralNotes).toContain("Norwich Family Hub");
        const forged = await post(gw.url, query, {
          authorization: `Bearer ${await token(stranger.privateKey)}`,
        });
        expect(forged.status).toBe(401);
        // A development token is not accepted once a real identity provider is configured.
        const dev = await post(gw.url, query, {
          authorization: `Bearer ${await mintDevToken({ role: "professional" })}`,
        });
        expect(dev.status).toBe(401);
      }
    } finally {
      await viaJwks.close();
      await viaPem.close();
      server.close();
    }
  });

  it("npm run token mints a development token the gateway accepts", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [
      "scripts/launch.mjs",
      "scripts/token.ts",
      "--role",
      "partner-admin",
      "--partner",
      "council",
    ]);
    const res = await post(
      stack.gatewayUrl,
      `{ service(id: "council:fh-norwich") { referralNotes } }`,
      { authorization: `Bearer ${stdout.trim()}` },
    );
    expect(res.body.data.service.referralNotes).toBeTruthy();
    await expect(
      run(process.execPath, ["scripts/launch.mjs", "scripts/token.ts", "--role", "partner-admin"]),
    ).rejects.toMatchObject({ code: 2 });
    await expect(
      run(process.execPath, ["scripts/launch.mjs", "scripts/token.ts", "--role", "professional"], {
        env: { ...process.env, NODE_ENV: "production" },
      }),
    ).rejects.toMatchObject({ code: 1 });
  });
});

describe("partner-admin-only operations × every role, through the gateway and at the subgraph", () => {
  // An update that changes nothing (same email) writes nothing, so the matrix leaves data as it was.
  const OPS = [
    {
      name: "updateCouncilService",
      query: `mutation { updateCouncilService(id: "council:fh-norwich", expectedVersion: 1, input: { email: "fh-norwich@example.org.uk" }) { version email } }`,
      value: (d: any) => d?.updateCouncilService,
      expected: { version: 1, email: "fh-norwich@example.org.uk" },
    },
    {
      name: "councilServiceAudit",
      query: `{ councilServiceAudit(id: "council:fh-norwich") { actor } }`,
      value: (d: any) => d?.councilServiceAudit,
      expected: [],
    },
  ];
  const outcome: Record<keyof typeof ROLES, string | null> = {
    anonymous: "UNAUTHENTICATED",
    professional: "FORBIDDEN",
    "council admin": null,
    "charity admin": "FORBIDDEN",
  };
  const internalClaims = async (
    role: keyof typeof ROLES,
    query: string,
  ): Promise<Record<string, string>> => {
    const partner =
      role === "council admin" ? "council" : role === "charity admin" ? "charity" : null;
    const claims: Claims =
      role === "anonymous"
        ? PUBLIC_CLAIMS
        : partner
          ? {
              sub: "a",
              role: "partner-admin",
              partner,
              scopes: scopesFor("partner-admin", partner),
            }
          : {
              sub: "p",
              role: "professional",
              partner: null,
              scopes: scopesFor("professional", null),
            };
    return {
      [CLAIMS_HEADER]: await signClaims(claims, DEV_INTERNAL_SECRET, bound("council", query)),
    };
  };

  for (const op of OPS) {
    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      for (const via of ["gateway", "council subgraph"] as const) {
        it(`${op.name} × ${role} via ${via}`, async () => {
          const url = via === "gateway" ? stack.gatewayUrl : stack.partners.council.url;
          const headers =
            via === "gateway" ? await ROLES[role]() : await internalClaims(role, op.query);
          const { body } = await post(url, op.query, headers);
          const code = outcome[role];
          if (code) {
            expect(op.value(body.data) ?? null).toBeNull();
            expect(body.errors?.[0]?.extensions?.code).toBe(code);
          } else {
            expect(body.errors).toBeUndefined();
            expect(op.value(body.data)).toEqual(op.expected);
          }
        });
      }
    }
  }
});

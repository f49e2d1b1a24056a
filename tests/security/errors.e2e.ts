// Attacks 6 and 7 (the part about error text): client mistakes are 4xx with stable codes, never
// 500 or INTERNAL_SERVER_ERROR; a partner that cannot be reached is named with a reason code, never
// with its internal host name or the network library's raw message. Production gateway.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedTestStack, testGatewayConfig, type SharedStackUrls } from "../helpers/stack.ts";
import { startGateway, type RunningGateway } from "../../gateway/server.ts";
import { authConfig } from "../../gateway/auth.ts";
import { createLogger } from "../../platform/log.ts";
import { PARTNERS } from "../../schema/vocabulary.ts";

// The run's shared stack: this file only reads through it.
let stack: SharedStackUrls;
let prod: RunningGateway;
/** Same subgraphs, but the charity partner's address does not resolve (a partner outage). */
let outage: RunningGateway;
const logs: Record<string, any>[] = [];

beforeAll(async () => {
  stack = await sharedTestStack();
  const subgraphUrls: Record<string, string> = Object.fromEntries(
    PARTNERS.map((p) => [p, stack.partners[p].url]),
  );
  subgraphUrls.directory = stack.directory.http.url;
  const common = {
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    supergraphPath: "schema/supergraph.graphql",
    production: true,
    auth: authConfig({}),
    rateLimit: false as const,
  };
  const logger = createLogger({
    level: "info",
    destination: { write: (s: string) => void logs.push(JSON.parse(s)) },
  });
  prod = await startGateway({ ...common, subgraphUrls, logger });
  outage = await startGateway({
    ...common,
    subgraphUrls: { ...subgraphUrls, charity: "http://charity.internal.invalid:4002/graphql" },
    partnerPolicy: { retries: 0 },
    logger,
  });
});
afterAll(async () => {
  await outage?.close();
  await prod?.close();
});

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: JSON.parse(text) as {
      data?: any;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    },
  };
}
const codes = (r: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) =>
  r.body.errors?.map((e) => e.extensions?.code);

describe("attack 6: client mistakes answered as server errors", () => {
  const TWO = /* GraphQL */ `
    query A {
      needs {
        code
      }
    }
    query B {
      localAuthorities {
        code
      }
    }
  `;

  it.each([
    ["several operations without operationName", { query: TWO }, "OPERATION_RESOLUTION_FAILURE"],
    [
      "an unknown operationName",
      { query: TWO, operationName: "C" },
      "OPERATION_RESOLUTION_FAILURE",
    ],
    [
      "an operationName on a one-operation document that names another",
      { query: "query A { needs { code } }", operationName: "B" },
      "OPERATION_RESOLUTION_FAILURE",
    ],
    [
      "a subscription",
      { query: "subscription { needs { code } }" },
      "GRAPHQL_VALIDATION_FAILED|BAD_REQUEST",
    ],
    [
      "a persisted-query hash that does not match the query",
      {
        query: "{ needs { code } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
      },
      "BAD_REQUEST",
    ],
  ])("answers %s with 4xx and a stable code", async (_what, body, code) => {
    const r = await post(prod.url, body);
    expect(r.status, r.text).toBeGreaterThanOrEqual(400);
    expect(r.status, r.text).toBeLessThan(500);
    expect(codes(r)).toHaveLength(1);
    expect(code.split("|")).toContain(codes(r)![0]);
  });

  it("answers an unknown persisted-query hash with PERSISTED_QUERY_NOT_FOUND (Apollo's APQ handshake, status below 500)", async () => {
    const r = await post(prod.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: "f".repeat(64) } },
    });
    expect(r.status).toBeLessThan(500);
    expect(codes(r)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
  });

  it("still runs the named operation of a multi-operation document", async () => {
    const r = await post(prod.url, { query: TWO, operationName: "B" });
    expect(r.status).toBe(200);
    expect(r.body.data.localAuthorities.length).toBeGreaterThan(0);
  });

  it("still answers a persisted query sent with its right hash", async () => {
    const query = "{ needs { code } }";
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const r = await post(prod.url, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash } },
    });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.needs.length).toBeGreaterThan(0);
  });
});

describe("attack 7: topology disclosed in a partner outage", () => {
  it("names the partner and a reason code, not its host name or the raw network error", async () => {
    const r = await post(outage.url, {
      query: /* GraphQL */ `
        {
          charityOrganizations(first: 1) {
            id
          }
        }
      `,
    });
    expect(r.status).toBe(200);
    const [error] = r.body.errors!;
    expect(error!.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "charity",
      reason: "UNREACHABLE",
    });
    expect(r.text).not.toMatch(/internal|ENOTFOUND|getaddrinfo|4002|invalid/i);
    // The operator still finds the detail in the log.
    expect(JSON.stringify(logs)).toMatch(/charity\.internal\.invalid|ENOTFOUND/);
  });

  it("says the same when the circuit is open", async () => {
    for (let i = 0; i < 6; i++)
      await post(outage.url, { query: `{ charityOrganizations(first: 1) { id } }` });
    const r = await post(outage.url, { query: `{ charityOrganizations(first: 1) { id } }` });
    expect(r.body.errors![0]!.extensions).toMatchObject({
      code: "PARTNER_UNAVAILABLE",
      partner: "charity",
      reason: "CIRCUIT_OPEN",
    });
    expect(r.text).not.toMatch(/internal|ENOTFOUND|getaddrinfo|4002|invalid/i);
  });
});

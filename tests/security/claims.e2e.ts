// Attack 4: claims replayed across partners. Whoever runs one partner's subgraph sees every claims
// header the gateway sends it (here: a recording proxy in front of the real charity subgraph). A
// captured header must open nothing else: not another subgraph, not another request to the same
// subgraph. Tested at the real subgraph ports.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { sharedTestStack, testGatewayConfig, type SharedStackUrls } from "../helpers/stack.ts";
import { startGateway, type RunningGateway } from "../../gateway/server.ts";
import { mintDevToken } from "../../gateway/auth.ts";
import {
  CLAIMS_HEADER,
  CLAIMS_TTL_SECONDS,
  SYNC_CLAIMS,
  signClaims,
} from "../../platform/claims.ts";
import { DEV_INTERNAL_SECRET } from "../../platform/config.ts";
import { PARTNERS } from "../../schema/vocabulary.ts";

// The run's shared stack: this file only reads through it.
let stack: SharedStackUrls;
let gateway: RunningGateway;
let proxy: http.Server;
const captured: { header: string; body: string }[] = [];

/** The charity partner's own server: forwards to the real subgraph and keeps what it receives. */
function recordingProxy(target: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const header = req.headers[CLAIMS_HEADER];
    if (typeof header === "string" && req.method === "POST") captured.push({ header, body });
    const upstream = await fetch(new URL(req.url ?? "/", target), {
      method: req.method,
      headers: {
        "content-type": "application/json",
        ...(header ? { [CLAIMS_HEADER]: header as string } : {}),
      },
      body: req.method === "POST" ? body : undefined,
    });
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  stack = await sharedTestStack();
  proxy = await recordingProxy(stack.partners.charity.url);
  const subgraphUrls: Record<string, string> = Object.fromEntries(
    PARTNERS.map((p) => [p, stack.partners[p].url]),
  );
  subgraphUrls.charity = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
  subgraphUrls.directory = stack.directory.http.url;
  gateway = await startGateway({
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    supergraphPath: "schema/supergraph.graphql",
    subgraphUrls,
    rateLimit: false,
  });
});
afterAll(async () => {
  await gateway?.close();
  await new Promise((r) => proxy?.close(r));
});

async function raw(url: string, body: string, header: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", [CLAIMS_HEADER]: header },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A council admin's request that the gateway also sends to the charity subgraph. */
async function captureCouncilAdminHeader() {
  const token = await mintDevToken({
    role: "partner-admin",
    partner: "council",
    sub: "council-admin-1",
  });
  captured.length = 0;
  const res = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: /* GraphQL */ `
        {
          charityOrganizations(first: 2) {
            id
            name
          }
        }
      `,
    }),
  });
  expect(((await res.json()) as any).data.charityOrganizations).toHaveLength(2);
  expect(captured).toHaveLength(1);
  return captured[0]!;
}

const DEFUNCT = JSON.stringify({
  query: /* GraphQL */ `
    mutation {
      updateCouncilService(
        id: "council:fh-norwich"
        expectedVersion: 1
        input: { status: DEFUNCT }
      ) {
        id
        status
      }
    }
  `,
});

describe("attack 4: a captured claims header replayed", () => {
  it("is accepted only by the subgraph it was addressed to, for the exact body it was signed over", async () => {
    const { header, body } = await captureCouncilAdminHeader();
    // As sent, at the charity's real port: this is the request the token was made for.
    const same = await raw(stack.partners.charity.url, body, header);
    expect(same.status).toBe(200);
    expect(same.body.data.charityOrganizations).toHaveLength(2);
    // Another body at the same subgraph.
    const other = await raw(
      stack.partners.charity.url,
      JSON.stringify({ query: "{ charityOrganizations(first: 50) { id } }" }),
      header,
    );
    expect(other.status).toBe(401);
    expect(other.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    // The council admin's claims replayed against the council to mark a service DEFUNCT.
    const replay = await raw(stack.partners.council.url, DEFUNCT, header);
    expect(replay.status).toBe(401);
    // Even the captured body, unchanged, at another subgraph.
    for (const p of ["council", "health"] as const)
      expect((await raw(stack.partners[p].url, body, header)).status).toBe(401);
    expect((await raw(stack.directory.http.url, body, header)).status).toBe(401);
    const after = await fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ service(id: "council:fh-norwich") { status } }` }),
    });
    expect(((await after.json()) as any).data.service.status).toBe("ACTIVE");
  });

  it("lives seconds, not a minute", async () => {
    const { header } = await captureCouncilAdminHeader();
    const { iat, exp, aud } = decodeJwt(header);
    expect(exp! - iat!).toBeLessThanOrEqual(CLAIMS_TTL_SECONDS);
    expect(CLAIMS_TTL_SECONDS).toBeLessThanOrEqual(15);
    expect(aud).toBe("wayfinder-subgraph:charity");
  });

  it("the directory's change-feed token opens one partner's feed only", async () => {
    const token = await signClaims(SYNC_CLAIMS, DEV_INTERNAL_SECRET, {
      audience: "council",
      body: "",
    });
    const feed = (p: string) =>
      fetch(new URL("/changes?since=0&limit=1", stack.partners[p as "council"].url), {
        headers: { [CLAIMS_HEADER]: token },
      });
    expect((await feed("council")).status).toBe(200);
    expect((await feed("charity")).status).toBe(401);
    expect((await feed("health")).status).toBe(401);
  });

  it("cannot be signed or checked without a real secret", async () => {
    await expect(signClaims(SYNC_CLAIMS, "", { audience: "council", body: "" })).rejects.toThrow(
      /secret/,
    );
    await expect(
      signClaims(SYNC_CLAIMS, undefined as unknown as string, { audience: "council", body: "" }),
    ).rejects.toThrow(/secret/);
  });
});

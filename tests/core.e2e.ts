// Whole stack, PGlite databases: cross-partner queries, a jointly delivered service, privacy of
// confidential locations, batching (no N+1), partner offline, health/ready.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack, gql } from "./helpers/stack.ts";
import type { Stack } from "../scripts/stack.ts";
import { NORFOLK } from "./fixtures/dataset.ts";

const batches: { loader: string; keys: readonly string[] }[] = [];
let stack: Awaited<ReturnType<typeof startTestStack>>;

beforeAll(async () => {
  stack = await startTestStack("pglite", {
    observeBatches: (loader, keys) => batches.push({ loader, keys }),
  });
});
afterAll(async () => {
  await stack?.close();
});

const SEARCH = /* GraphQL */ `
  query Area($la: [String!]) {
    searchServices(filter: { localAuthorities: $la }, sort: NAME, first: 50) {
      totalCount
      edges {
        node {
          id
          partner
          name
          needs
          ageRange {
            minimumAge
            maximumAge
          }
          organization {
            name
          }
          locations {
            name
            area
            latitude
            address {
              postalCode
            }
          }
          serviceAreas {
            code
            name
          }
          languages {
            code
          }
        }
      }
    }
  }
`;

describe("federated core", () => {
  it("answers one query with services from all three partners, common fields on Service", async () => {
    const res = await gql(stack.gatewayUrl, SEARCH, { la: [NORFOLK] });
    expect(res.errors).toBeUndefined();
    const nodes = res.data.searchServices.edges.map((e: any) => e.node);
    expect(new Set(nodes.map((n: any) => n.partner))).toEqual(
      new Set(["COUNCIL", "CHARITY", "HEALTH"]),
    );
    expect(nodes.map((n: any) => n.name)).toEqual([
      "CAMHS Getting Help – Norwich",
      "Child bereavement support Norfolk",
      "Norfolk Early Help Team",
      "Norfolk Refuge for Women and Children",
      "Norwich Family Hub",
      "Online counselling for young people",
    ]);
    const camhs = nodes.find((n: any) => n.id === "health:camhs-norwich");
    expect(camhs).toMatchObject({
      needs: ["MENTAL_HEALTH", "ADHD", "AUTISM"],
      ageRange: { minimumAge: 0, maximumAge: 17 },
      organization: { name: "Norfolk and Suffolk NHS Foundation Trust" },
      serviceAreas: [{ code: NORFOLK, name: "Norfolk" }],
    });
  });

  it("never shows a confidential location's address or position", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ service(id: "charity:refuge-norfolk") { name locations { confidential name area latitude longitude address { address1 } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.service.locations).toEqual([
      {
        confidential: true,
        name: "Confidential location",
        area: "Norwich, NR3",
        latitude: null,
        longitude: null,
        address: null,
      },
    ]);
  });

  it("joins a council service with the charity that co-delivers it", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ service(id: "council:fh-norwich") { name organization { name } ... on CouncilService { coDelivery { role staffShare organization { name charityNumber } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.service).toEqual({
      name: "Norwich Family Hub",
      organization: { name: "Norfolk County Council" },
      coDelivery: [
        {
          role: "Family support workers",
          staffShare: 0.5,
          organization: { name: "Barnardo's", charityNumber: "216250" },
        },
      ],
    });
  });

  it("hides professional-only contact routes from the public", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ service(id: "council:fh-norwich") { contacts { name phone } } }`,
    );
    expect(res.data.service.contacts).toEqual([{ name: "Reception", phone: "01603 000000" }]);
  });

  it("batches: each partner resolves a page of services in one query, its relations joined", async () => {
    batches.length = 0;
    const res = await gql(stack.gatewayUrl, SEARCH, { la: null });
    expect(res.errors).toBeUndefined();
    const total = res.data.searchServices.totalCount;
    expect(total).toBe(12);
    // One batch per partner, never one per service; the locations and languages the fetch asks
    // for come in the services' own query (loaders.ts), not a batch of their own each.
    const perLoader = new Map<string, number>();
    for (const b of batches) perLoader.set(b.loader, (perLoader.get(b.loader) ?? 0) + 1);
    expect(Object.fromEntries(perLoader)).toEqual({ service: 3 });
    const serviceKeys = batches
      .filter((b) => b.loader === "service")
      .map((b) => b.keys.length)
      .sort();
    expect(serviceKeys).toEqual([4, 4, 4]);
  });

  it("returns null for an unknown service and BAD_USER_INPUT for a malformed id", async () => {
    const unknown = await gql(stack.gatewayUrl, `{ service(id: "council:nope") { name } }`);
    expect(unknown.data.service).toBeNull();
    const bad = await gql(stack.gatewayUrl, `{ service(id: "nope") { name } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("reports health and per-partner readiness", async () => {
    const health = await fetch(new URL("/health", stack.gatewayUrl));
    expect(health.status).toBe(200);
    const ready = await (await fetch(new URL("/ready", stack.gatewayUrl))).json();
    expect(ready).toMatchObject({
      status: "ready",
      supergraph: "loaded",
      subgraphs: { council: "up", charity: "up", health: "up", directory: "up" },
    });
  });
});

describe("a partner offline", () => {
  it("still answers with the other partners' data, and /ready shows which partner is down", async () => {
    const s: Stack = stack;
    await s.stopPartner("health");
    try {
      const ready = await (await fetch(new URL("/ready", s.gatewayUrl))).json();
      expect(ready.status).toBe("degraded");
      expect(ready.subgraphs.health).toBe("down");
      const res = await gql(
        s.gatewayUrl,
        `{ searchServices(filter: { localAuthorities: ["${NORFOLK}"] }, sort: NAME) { edges { node { id name } } } }`,
      );
      const names = res.data.searchServices.edges.map((e: any) => e.node?.name ?? null);
      // Every name still arrives: a search result's name is the directory's copy, so the health
      // service shows too and nothing had to be asked of the partner that is down.
      expect(names).toContain("Norwich Family Hub");
      expect(names).toContain("Child bereavement support Norfolk");
      expect(names).toContain("CAMHS Getting Help – Norwich");
      expect(res.errors).toBeUndefined();
      // A field only the partner has is null for its services, with an error naming it.
      const partnerOnly = await gql(
        s.gatewayUrl,
        `{ searchServices(filter: { partners: [HEALTH] }) { edges { node { name url } } } }`,
      );
      expect(partnerOnly.errors?.[0]?.extensions?.code).toBe("PARTNER_UNAVAILABLE");
      // Once the directory's sync has missed the partner, its last good entries stay searchable
      // and are marked stale.
      await eventually(async () => {
        const r = await gql(
          s.gatewayUrl,
          `{ searchServices(filter: { partners: [HEALTH, COUNCIL] }, first: 50) { totalCount edges { stale node { id } } } }`,
        );
        const edges = r.data.searchServices.edges;
        expect(edges.filter((e: any) => e.stale).length).toBe(4);
        expect(edges.filter((e: any) => !e.stale).length).toBe(4);
      });
    } finally {
      await s.startPartner("health");
    }
  });
});

describe("the README", () => {
  it("its first query returns data from all three partners", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile("README.md", "utf8");
    const first = /```graphql\n([\s\S]*?)```/.exec(readme)![1]!;
    const res = await gql(stack.gatewayUrl, first);
    expect(res.errors).toBeUndefined();
    const partners = res.data.searchServices.facets.partner.map((f: any) => f.value).sort();
    expect(partners).toEqual(["charity", "council", "health"]);
    expect(res.data.searchServices.edges.length).toBeGreaterThan(0);
  });
});

// The ORUK API over a directory larger than the search window (10,000 hits): every parameter is
// applied by the index, so a service sorting after the 10,000th hit is still found, totals are the
// index's, and a page reads only its own services. routes.ts runs against a real embedded index
// holding 12,000 synthetic services; the gateway's GraphQL is stood in for by the directory's own
// filter mapping (toSearchFilter) over that index.
import type http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { orukRoutes, type Execute } from "../gateway/oruk/routes.ts";
import { serviceAtLocationId } from "../schema/hsds-ids.ts";
import { NEEDS, PARTNERS } from "../schema/vocabulary.ts";
import { toSearchFilter } from "../subgraphs/directory/search.resolver.ts";
import type { ServiceFilter } from "../subgraphs/directory/search.input.ts";
import { createEmbeddedBackend } from "../subgraphs/directory/search/embedded.ts";
import { syntheticDocs } from "../subgraphs/directory/search/synthetic.ts";
import {
  MAX_WINDOW,
  type SearchBackend,
  type ServiceDoc,
} from "../subgraphs/directory/search/types.ts";

type Obj = Record<string, unknown>;

const own = (id: string) => id.slice(id.indexOf(":") + 1);

/** A Service as the gateway would give it, from the directory's copy. */
function node(d: ServiceDoc): Obj {
  return {
    partner: d.partner.toUpperCase(),
    id: d.id,
    hsdsId: own(d.id),
    name: d.name,
    description: d.description,
    status: d.status,
    lastModified: d.lastModified,
    needs: d.needs,
    referralRoutes: d.referralRoutes,
    deliveryModes: d.deliveryModes,
    ageRange: { minimumAge: d.minAge, maximumAge: d.maxAgeStated ? d.maxAge : null },
    organization: { id: d.organizationId, name: d.organizationName },
    locations: d.locationIds.map((l) => ({
      id: `${d.partner}:${l}`,
      name: l,
      locationType: "physical",
      confidential: false,
    })),
    schedules: d.schedules.map((x, i) => ({ id: `${d.id}-s${i}`, ...x })),
    taxonomyTerms: d.taxonomyTerms.map((t) => ({
      id: t,
      code: t,
      name: t,
      vocabulary: d.taxonomies[0],
    })),
  };
}

const target = (n: number, over: Partial<ServiceDoc>): ServiceDoc => ({
  ...syntheticDocs(1, 1000 + n)[0]!,
  id: `charity:target-${n}`,
  partner: "charity",
  // After every synthetic name ("<area> <need> …"): beyond the 10,000th hit in NAME order.
  name: `Zz target ${n}`,
  status: "ACTIVE",
  ...over,
});

// Synthetic services are changed in 2025, take children from at most 16, and open between 08:00
// and 20:00: each target differs from all of them in what it is found by.
const TARGETS = [
  target(1, {
    organizationId: "charity:org-target",
    lastModified: "2030-01-01T00:00:00.000Z",
    minAge: 17,
    maxAge: 19,
    maxAgeStated: true,
    schedules: [{ byDay: ["SU"], opensAt: "06:00", closesAt: "07:00" }],
    taxonomyTerms: ["zz-term"],
    taxonomies: ["zz-vocabulary"],
    locationIds: ["t1-a", "t1-b"],
  }),
  target(2, {
    organizationId: "charity:org-target",
    lastModified: "2030-06-01T00:00:00.000Z",
    minAge: 18,
    maxAge: 25,
    maxAgeStated: false,
    schedules: [{ byDay: ["SU"], opensAt: "06:30", closesAt: "07:30" }],
    locationIds: ["t2-a"],
  }),
  target(3, {
    organizationId: "health:org-other",
    partner: "health",
    id: "health:target-3",
    lastModified: "2024-01-01T00:00:00.000Z",
    minAge: 17,
    maxAge: 19,
    maxAgeStated: true,
    schedules: [{ byDay: ["MO"], opensAt: "06:00", closesAt: "07:00" }],
    locationIds: ["t3-a", "t3-b", "t3-c"],
  }),
];

let backend: SearchBackend;
/** Services each searchServices call handed back: a page must not read the feed before it. */
let read = 0;

const execute: Execute = async (_req, query, variables) => {
  if (query.includes("OrukNeeds")) return { data: { needs: NEEDS } };
  if (query.includes("OrukPartners"))
    return { data: { partnerStatus: PARTNERS.map((p) => ({ partner: p.toUpperCase() })) } };
  const v = variables as {
    filter: ServiceFilter & { modifiedSince?: string };
    query?: string;
    first: number;
    offset?: number;
  };
  const filter = toSearchFilter({
    ...v.filter,
    modifiedSince: v.filter.modifiedSince ? new Date(v.filter.modifiedSince) : undefined,
  } as ServiceFilter);
  const r = await backend.search({
    query: v.query,
    filter,
    sort: "NAME",
    // OrukPairs writes its page size into the operation.
    limit: v.first ?? Number(/first: (\d+)/.exec(query)![1]),
    offset: v.offset ?? 0,
    facets: true,
  });
  read += r.hits.length;
  return {
    data: {
      searchServices: {
        totalCount: r.totalCount,
        facets: { locationCount: r.facets!.locationCount },
        edges: r.hits.map((h) => ({ node: node(h.doc!) })),
      },
    },
  };
};

const route = orukRoutes({ execute, isProfessional: async () => false })["/oruk/*"]!;
const get = async (path: string) => {
  read = 0;
  const res = await route(
    { method: "GET", headers: {} } as http.IncomingMessage,
    new URL(path, "http://x"),
  );
  expect(res!.status, `${path}: ${JSON.stringify(res!.body)}`).toBe(200);
  return res!.body as { total_items: number; contents: Obj[] };
};
const ids = (body: { contents: Obj[] }) => body.contents.map((s) => s.id);

describe("ORUK API over more services than the search window", () => {
  beforeAll(async () => {
    backend = await createEmbeddedBackend();
    await backend.upsert([...syntheticDocs(12_000), ...TARGETS]);
    const listed = await backend.search({
      filter: { statuses: ["ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE"] },
      limit: 1,
      offset: 0,
    });
    // The feed is bigger than the window; the targets sort last in it.
    expect(listed.totalCount).toBeGreaterThan(MAX_WINDOW + 1000);
  });

  it("finds services beyond the 10,000th hit by organization_id, modified_after, minimum_age and start_time, with right totals", async () => {
    let body = await get("/oruk/services?organization_id=org-target");
    expect(ids(body)).toEqual(["target-1", "target-2"]);
    expect(body.total_items).toBe(2);

    body = await get("/oruk/services?modified_after=2029-01-01T00:00:00Z");
    expect(ids(body)).toEqual(["target-1", "target-2"]);
    expect(body.total_items).toBe(2);

    body = await get("/oruk/services?minimum_age=17");
    expect(ids(body)).toEqual(["target-1", "target-2", "target-3"]);
    expect(body.total_items).toBe(3);
    // A service stating no maximum age is not within a maximum_age.
    body = await get("/oruk/services?minimum_age=17&maximum_age=19");
    expect(ids(body)).toEqual(["target-1", "target-3"]);

    body = await get("/oruk/services?start_time=06:00&end_time=07:30");
    expect(ids(body)).toEqual(["target-1", "target-2", "target-3"]);
    expect(body.total_items).toBe(3);
    body = await get("/oruk/services?day=SU&start_time=06:00&end_time=07:15");
    expect(ids(body)).toEqual(["target-1"]);
    expect(body.total_items).toBe(1);

    body = await get("/oruk/services?taxonomy_term_id=zz-term");
    expect(ids(body)).toEqual(["target-1"]);
    body = await get("/oruk/services?taxonomy_id=zz-vocabulary");
    expect(ids(body)).toEqual(["target-1"]);
  });

  it("pages by the index: a page reads its own services only", async () => {
    const body = await get("/oruk/services?minimum_age=17&per_page=2&page=2");
    expect(ids(body)).toEqual(["target-3"]);
    expect(body.total_items).toBe(3);
    expect(read).toBe(1);
    const all = await get("/oruk/services?per_page=5&page=3");
    expect(all.contents).toHaveLength(5);
    expect(all.total_items).toBeGreaterThan(MAX_WINDOW);
    expect(read).toBe(5);
  });

  it("pages service_at_locations over (service, location) pairs without reading them all", async () => {
    let body = await get("/oruk/service_at_locations?organization_id=org-target");
    expect(body.total_items).toBe(3);
    expect(body.contents.map((x) => [x.service_id, x.location_id])).toEqual([
      ["target-1", "t1-a"],
      ["target-2", "t2-a"],
      ["target-1", "t1-b"],
    ]);
    body = await get("/oruk/service_at_locations?minimum_age=17&per_page=2&page=2");
    expect(body.total_items).toBe(6);
    // Round 1 is every service's first location, round 2 the second ones …
    expect(body.contents.map((x) => [x.service_id, x.location_id])).toEqual([
      ["target-3", "t3-a"],
      ["target-1", "t1-b"],
    ]);
    // Every pair of the whole feed is counted; a page reads one page of services (and a count).
    const all = await get("/oruk/service_at_locations?per_page=50&page=4");
    const services = await backend.search({
      filter: { statuses: ["ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE"] },
      limit: 0,
      offset: 0,
      facets: true,
    });
    const pairs = services.facets!.locationCount.reduce((n, f) => n + Number(f.value) * f.count, 0);
    expect(pairs).toBeGreaterThan(services.totalCount);
    expect(all.total_items).toBe(pairs);
    expect(all.contents).toHaveLength(50);
    expect(read).toBeLessThanOrEqual(51);
  });

  it("finds a service_at_location beyond the window by its id, by one lookup", async () => {
    const id = serviceAtLocationId("target-3", "t3-c");
    const route404 = await route(
      { method: "GET", headers: {} } as http.IncomingMessage,
      new URL("/oruk/service_at_locations/no-such-id", "http://x"),
    );
    expect(route404!.status).toBe(404);
    const sal = (await get(`/oruk/service_at_locations/${id}`)) as unknown as Obj;
    expect([sal.id, sal.service_id, sal.location_id, sal.name]).toEqual([
      id,
      "target-3",
      "t3-c",
      "Zz target 3",
    ]);
    expect(read).toBe(1);
  });
});

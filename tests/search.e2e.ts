// searchServices through the gateway on the fixed dataset: typos, every filter, facets, distance,
// pagination, a partner's update and closure reaching search within seconds, hostile input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, gql, startTestStack } from "./helpers/stack.ts";
import { BRISTOL, DATASET, NEWPORT } from "./fixtures/dataset.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack("pglite");
});
afterAll(async () => {
  await stack?.close();
});

const SEARCH = /* GraphQL */ `
  query S(
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
        cursor
        distanceKm
        highlight
        stale
        node {
          id
          name
          partner
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      facets {
        needs {
          value
          count
        }
        partner {
          value
          count
        }
        localAuthority {
          value
          count
        }
        ageBand {
          value
          count
        }
        cost {
          value
          count
        }
        referralRoute {
          value
          count
        }
        language {
          value
          count
        }
        deliveryMode {
          value
          count
        }
      }
    }
  }
`;

async function search(vars: Record<string, unknown>) {
  const res = await gql(stack.gatewayUrl, SEARCH, vars);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.searchServices;
}
const ids = (r: any) => r.edges.map((e: any) => e.node.id);

describe("searchServices", () => {
  it.each([
    ["camhs", "health:camhs-norwich"],
    ["CAHMS", "health:camhs-norwich"],
    ["child and adolescent mental health", "health:camhs-newport"],
    ["bereavment", "charity:bereave-norfolk"],
    ["young carrers", "charity:yc-bristol"],
  ])("finds %s despite typos and synonyms", async (query, expected) => {
    const r = await search({ query });
    expect(ids(r)).toContain(expected);
  });

  it("highlights matches with escaped HTML", async () => {
    const r = await search({ query: "bereavement" });
    expect(r.edges[0].highlight).toMatch(/<mark>[Bb]ereavement<\/mark>/);
  });

  it("filters by needs (any/all), age, area, partner, cost, referral route, language, capacity, opening time", async () => {
    expect(
      ids(await search({ filter: { needs: ["ADHD", "YOUNG_CARERS"] }, sort: "NAME" })),
    ).toEqual(["charity:yc-bristol", "health:camhs-norwich"]);
    expect(
      ids(await search({ filter: { needs: ["MENTAL_HEALTH", "BEREAVEMENT"], needsMatch: "ALL" } })),
    ).toEqual(["charity:bereave-norfolk"]);
    expect(ids(await search({ filter: { age: 18 }, sort: "NAME" }))).toEqual([
      "charity:yc-bristol",
      "council:send-newport",
      "charity:online-counselling",
    ]);
    expect((await search({ filter: { localAuthorities: [BRISTOL] } })).totalCount).toBe(4);
    expect((await search({ filter: { partners: ["HEALTH"] } })).totalCount).toBe(4);
    expect((await search({ filter: { freeOnly: true } })).totalCount).toBe(12);
    expect(ids(await search({ filter: { referralRoutes: ["SOCIAL_WORKER"] } }))).toEqual([
      "council:eh-norfolk",
    ]);
    expect(ids(await search({ filter: { languages: ["cy"] }, sort: "NAME" }))).toEqual([
      "health:camhs-newport",
      "council:send-newport",
    ]);
    expect(ids(await search({ filter: { acceptingReferrals: true } }))).not.toContain(
      "health:salt-newport",
    );
    expect(ids(await search({ filter: { openAt: { day: "SA" } } }))).toEqual([
      "charity:refuge-norfolk",
    ]);
    expect(
      ids(await search({ filter: { openAt: { day: "MO", time: "20:30" } }, sort: "NAME" })),
    ).toEqual(["charity:refuge-norfolk", "charity:online-counselling"]);
    expect(ids(await search({ filter: { deliveryModes: ["ONLINE"] } }))).toEqual([
      "charity:online-counselling",
    ]);
  });

  it("counts facets over the whole result set", async () => {
    const r = await search({ filter: { localAuthorities: [NEWPORT] }, first: 1 });
    expect(r.totalCount).toBe(4);
    expect(r.edges).toHaveLength(1);
    expect(r.facets.partner).toEqual([
      { value: "health", count: 2 },
      { value: "charity", count: 1 },
      { value: "council", count: 1 },
    ]);
    expect(r.facets.language).toEqual([
      { value: "en", count: 4 },
      { value: "cy", count: 2 },
    ]);
    expect(r.facets.cost).toEqual([{ value: "free", count: 4 }]);
  });

  it("sorts by distance from a postcode, within the radius", async () => {
    const r = await search({ near: { postcode: "nr2 4ab", radiusKm: 5 }, sort: "DISTANCE" });
    expect(ids(r)[0]).toBe("council:fh-norwich");
    const d = r.edges.map((e: any) => e.distanceKm);
    expect(d).toEqual([...d].sort((a: number, b: number) => a - b));
    expect(d.every((x: number) => x <= 5)).toBe(true);
    expect(ids(r)).not.toContain("health:camhs-newport");
  });

  it("never places a refuge at its real position", async () => {
    // The refuge is really at 52.6519, 1.2611; it is indexed at the NR3 district centre instead.
    const r = await search({ near: { latitude: 52.6519, longitude: 1.2611, radiusKm: 0.2 } });
    expect(ids(r)).not.toContain("charity:refuge-norfolk");
  });

  it("pages with cursors", async () => {
    const all = ids(await search({ sort: "NAME", first: 100 }));
    const p1 = await search({ sort: "NAME", first: 5 });
    const p2 = await search({ sort: "NAME", first: 5, after: p1.pageInfo.endCursor });
    const p3 = await search({ sort: "NAME", first: 5, after: p2.pageInfo.endCursor });
    expect([...ids(p1), ...ids(p2), ...ids(p3)]).toEqual(all);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const bad = await gql(stack.gatewayUrl, SEARCH, { after: "not-a-cursor" });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  it("pages by offset, and fetches a known set of services by id", async () => {
    const PAGE = /* GraphQL */ `
      query P($offset: Int, $after: String, $filter: ServiceFilter) {
        searchServices(sort: NAME, first: 4, offset: $offset, after: $after, filter: $filter) {
          totalCount
          edges {
            node {
              id
            }
          }
          pageInfo {
            hasPreviousPage
          }
        }
      }
    `;
    const page = async (vars: Record<string, unknown>) => {
      const res = await gql(stack.gatewayUrl, PAGE, vars);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.searchServices;
    };
    const all = ids(await search({ sort: "NAME", first: 12 }));
    const third = await page({ offset: 8 });
    expect(ids(third)).toEqual(all.slice(8, 12));
    expect(third.pageInfo.hasPreviousPage).toBe(true);
    const picked = [all[9], all[2], all[5]];
    const byId = await page({ filter: { ids: picked } });
    // In the search's own order (NAME), whatever order the ids came in.
    expect(ids(byId)).toEqual([all[2], all[5], all[9]]);
    expect(byId.totalCount).toBe(3);
    const cursor = (await search({ sort: "NAME", first: 2 })).pageInfo.endCursor;
    for (const [vars, field] of [
      [{ offset: -1 }, "offset"],
      [{ offset: 4, after: cursor }, "offset"],
      [{ filter: { ids: Array.from({ length: 101 }, (_, i) => `council:${i}`) } }, "filter.ids"],
    ] as const) {
      const bad = await gql(stack.gatewayUrl, PAGE, vars);
      expect(bad.errors?.[0]?.extensions, JSON.stringify(vars).slice(0, 80)).toMatchObject({
        code: "BAD_USER_INPUT",
        field,
      });
    }
  });

  it("rejects an unknown postcode clearly instead of returning nothing", async () => {
    for (const postcode of ["ZZ99 9ZZ", "hello"]) {
      const res = await gql(stack.gatewayUrl, SEARCH, { near: { postcode, radiusKm: 5 } });
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "near.postcode",
      });
    }
  });

  it("survives hostile strings in the query and every string filter", async () => {
    const hostile = [
      '" OR partner = "council',
      "') OR 1=1 --",
      "(",
      ")",
      "\\",
      "AND NOT",
      "<script>alert(1)</script>",
      "x".repeat(490),
      "👶🏽‏‮",
      "\u0000",
      "_geoRadius(0,0,1)",
    ];
    for (const h of hostile) {
      const q = await gql(stack.gatewayUrl, SEARCH, { query: h });
      expect(q.errors, h).toBeUndefined();
      for (const e of q.data.searchServices.edges)
        expect(e.highlight ?? "").not.toContain("<script>");
      const f = await gql(stack.gatewayUrl, SEARCH, {
        filter: { localAuthorities: [h.slice(0, 50)], languages: [h.slice(0, 50)] },
      });
      expect(f.errors, h).toBeUndefined();
      expect(f.data.searchServices.totalCount, h).toBe(0);
    }
    const long = await gql(stack.gatewayUrl, SEARCH, { query: "x".repeat(10_000) });
    expect(long.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("shows a partner's update within seconds, and drops a closed service", async () => {
    const council = structuredClone(DATASET.council);
    const hub = council.services.find((s) => s.id === "fh-norwich")!;
    hub.name = "Norwich Family Hub and Toy Library";
    await importHsds(stack.dbs.council, validateHsds(council));
    await eventually(async () => {
      expect(ids(await search({ query: "toy library" }))).toEqual(["council:fh-norwich"]);
    });
    const closed = structuredClone(council);
    closed.services.find((s) => s.id === "eh-norfolk")!.status = "defunct";
    await importHsds(stack.dbs.council, validateHsds(closed));
    await eventually(async () => {
      expect(ids(await search({ query: "early help team" }))).not.toContain("council:eh-norfolk");
    });
    // Deleted (tombstoned) services go too.
    const withoutYj = { ...closed, services: closed.services.filter((s) => s.id !== "yj-bristol") };
    await importHsds(stack.dbs.council, validateHsds(withoutYj), { replace: true, force: true });
    await eventually(async () => {
      expect(ids(await search({ filter: { statuses: [] }, first: 100 }))).not.toContain(
        "council:yj-bristol",
      );
    });
    await importHsds(stack.dbs.council, validateHsds(DATASET.council));
  });
});

describe("searchServices on the Orama backend (SEARCH_BACKEND=orama)", () => {
  it("answers typo, filter, facet and distance queries the same way through the gateway", async () => {
    const orama = await startTestStack("pglite", { searchBackend: "orama" });
    try {
      expect(orama.directory.backend.name).toBe("orama");
      const run = async (vars: Record<string, unknown>) =>
        (await gql(orama.gatewayUrl, SEARCH, vars)).data.searchServices;
      const vsDefault = async (vars: Record<string, unknown>) => {
        const [a, b] = await Promise.all([run(vars), search(vars)]);
        expect(ids(a)).toEqual(ids(b));
        expect(a.totalCount).toBe(b.totalCount);
        expect(a.facets).toEqual(b.facets);
        return a;
      };
      expect(ids(await vsDefault({ query: "CAHMS", sort: "NAME" }))).toContain(
        "health:camhs-norwich",
      );
      await vsDefault({ filter: { localAuthorities: [NEWPORT], age: 10 }, sort: "NAME" });
      const near = await vsDefault({
        near: { postcode: "NR2 4AB", radiusKm: 5 },
        sort: "DISTANCE",
      });
      expect(ids(near)[0]).toBe("council:fh-norwich");
    } finally {
      await orama.close();
    }
  });
});

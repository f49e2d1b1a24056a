// Routing anywhere in the UK, through the gateway, on data written for this file in areas the
// generator never uses (Cumberland, Westmorland and Furness, Northumberland, Rutland, the Isles of
// Scilly, Leicestershire and Melton, Cornwall, King's Lynn, Belfast). Each defect of issue 9 has its
// case: areas beyond the first three, conditions filtered before anything is cut (250 services that
// cannot take the child, one that can), gaps that stay true over time, and distance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, startTestStack } from "./helpers/stack.ts";
import { inMonths, service, type Spec } from "./fixtures/dataset.ts";
import type { HsdsBundle, HsdsService } from "../subgraphs/kit/hsds/format.ts";
import type { PartnerId } from "../schema/vocabulary.ts";

const CUMBERLAND = "E06000063";
const WESTMORLAND = "E06000064";
const NORTHUMBERLAND = "E06000057";
const RUTLAND = "E06000017";
const SCILLY = "E06000053";
const LEICESTERSHIRE = "E10000018";
const MELTON = "E07000133";
const CORNWALL = "E06000052";
const KINGS_LYNN = "E07000146";
const NORFOLK = "E10000020";
const BELFAST = "N09000003";

const DECOYS = 250;
const place = (
  id: string,
  lat: number,
  lng: number,
  postcode: string,
  city: string,
  confidential = false,
) => ({ id, name: city, lat, lng, postcode, city, confidential });
const CARLISLE = place("loc-carlisle", 54.8858, -2.912, "CA1 1AA", "Carlisle");
const HEXHAM = place("loc-hexham", 54.971, -2.101, "NE46 1AA", "Hexham");
const MORPETH = place("loc-morpeth", 55.168, -1.688, "NE61 1AA", "Morpeth");
const OAKHAM = place("loc-oakham", 52.67, -0.727, "LE15 6AA", "Oakham");
const MELTON_MOWBRAY = place("loc-melton", 52.766, -0.887, "LE13 0AA", "Melton Mowbray");
const PENZANCE = place("loc-penzance", 50.118, -5.537, "TR18 2AA", "Penzance");
const ST_MARYS = place("loc-stmarys", 49.914, -6.311, "TR21 0HE", "St Mary's");
const KINGS_LYNN_TOWN = place("loc-lynn", 52.754, 0.398, "PE30 1AA", "King's Lynn");

/** n services that cannot take the test child, each better placed by wait than the one that can. */
function decoys(
  prefix: string,
  n: number,
  spec: Omit<Spec, "id" | "name" | "org" | "description">,
): HsdsService[] {
  return Array.from({ length: n }, (_, i) =>
    service({
      id: `${prefix}-${i}`,
      org: "decoy-trust",
      name: `${prefix} decoy ${i}`,
      description: "A service that cannot take the test child.",
      wait: 0,
      ...spec,
    }),
  );
}

const charity: HsdsService[] = [
  // LANGUAGE: 250 English-only, one Polish-speaking, with the longest wait.
  ...decoys("lang", DECOYS, {
    needs: ["MENTAL_HEALTH"],
    ages: [0, 17],
    areas: [CUMBERLAND],
    at: CARLISLE,
  }),
  service({
    id: "lang-match",
    org: "decoy-trust",
    name: "Polish-speaking counselling Carlisle",
    description: "Counselling in Polish.",
    needs: ["MENTAL_HEALTH"],
    ages: [0, 17],
    areas: [CUMBERLAND],
    at: CARLISLE,
    wait: 20,
    languages: [
      ["English", "en"],
      ["Polish", "pl"],
    ],
  }),
  // REFERRAL_ROUTE: 250 professional-only, one the family can refer itself to.
  ...decoys("route", DECOYS, {
    needs: ["PARENTING"],
    ages: [0, 17],
    areas: [WESTMORLAND],
    routes: ["PROFESSIONAL"],
  }),
  service({
    id: "route-match",
    org: "decoy-trust",
    name: "Parenting drop-in Kendal",
    description: "Come along.",
    needs: ["PARENTING"],
    ages: [0, 17],
    areas: [WESTMORLAND],
    routes: ["SELF", "PARENT"],
    wait: 15,
  }),
  // Travel: 250 in Morpeth (35 km from Hexham), one in Hexham.
  ...decoys("travel", DECOYS, {
    needs: ["YOUNG_CARERS"],
    ages: [5, 18],
    areas: [NORTHUMBERLAND],
    at: MORPETH,
  }),
  service({
    id: "travel-match",
    org: "decoy-trust",
    name: "Young carers Hexham",
    description: "Young carers group.",
    needs: ["YOUNG_CARERS"],
    ages: [5, 18],
    areas: [NORTHUMBERLAND],
    at: HEXHAM,
    wait: 12,
  }),
  // Capacity: 250 not accepting referrals, one that is, within an urgent wait.
  ...decoys("capacity", DECOYS, {
    needs: ["SPEECH_LANGUAGE"],
    ages: [0, 16],
    areas: [RUTLAND],
    accepting: false,
  }),
  service({
    id: "capacity-match",
    org: "decoy-trust",
    name: "Speech therapy Oakham",
    description: "Speech and language therapy.",
    needs: ["SPEECH_LANGUAGE"],
    ages: [0, 16],
    areas: [RUTLAND],
    at: OAKHAM,
    wait: 2,
  }),
  // Age: 250 for under-fives, one for primary age.
  ...decoys("age", DECOYS, { needs: ["EDUCATION"], ages: [0, 4], areas: [SCILLY], at: ST_MARYS }),
  service({
    id: "age-match",
    org: "decoy-trust",
    name: "Island learning support",
    description: "Learning support for primary school children.",
    needs: ["EDUCATION"],
    ages: [5, 11],
    areas: [SCILLY],
    at: ST_MARYS,
    wait: 10,
  }),
  // Status: 250 temporarily closed county services, one open; the child is placed in a district.
  ...decoys("status", DECOYS, {
    needs: ["SUBSTANCE_MISUSE"],
    ages: [10, 18],
    areas: [LEICESTERSHIRE],
    status: "temporarily_closed",
  }),
  service({
    id: "status-match",
    org: "decoy-trust",
    name: "Young people's substance service Leicestershire",
    description: "Drug and alcohol support.",
    needs: ["SUBSTANCE_MISUSE"],
    ages: [10, 18],
    areas: [LEICESTERSHIRE],
    at: MELTON_MOWBRAY,
    wait: 9,
  }),
  // Contract: 250 whose contracts ended last month, one in contract.
  ...decoys("ended", DECOYS, {
    needs: ["HOUSING"],
    ages: [0, 25],
    areas: [CORNWALL],
    at: PENZANCE,
    contractEnd: inMonths(-1),
  }),
  service({
    id: "ended-match",
    org: "decoy-trust",
    name: "Housing advice Penzance",
    description: "Housing advice.",
    needs: ["HOUSING"],
    ages: [0, 25],
    areas: [CORNWALL],
    at: PENZANCE,
    wait: 8,
  }),
  // Coverage: Cornwall's only bereavement service, its contract ending in 3 months, behind 250
  // expired contracts that sort first by contract end.
  service({
    id: "bereave-cornwall",
    org: "decoy-trust",
    name: "Bereavement support Cornwall",
    description: "Support after a death.",
    needs: ["BEREAVEMENT"],
    ages: [0, 18],
    areas: [CORNWALL],
    at: PENZANCE,
    contractEnd: inMonths(3),
  }),
];

const council: HsdsService[] = [
  // Time: Rutland's only young carers contract ended last month; its domestic abuse one ends soon.
  service({
    id: "yc-rutland",
    org: "rutland-cc",
    name: "Rutland Young Carers",
    description: "Young carers support.",
    needs: ["YOUNG_CARERS"],
    ages: [5, 18],
    areas: [RUTLAND],
    at: OAKHAM,
    contractEnd: inMonths(-1),
  }),
  service({
    id: "da-rutland",
    org: "rutland-cc",
    name: "Rutland Domestic Abuse Service",
    description: "Support for families.",
    needs: ["DOMESTIC_ABUSE"],
    ages: [0, 17],
    areas: [RUTLAND],
    at: OAKHAM,
    contractEnd: inMonths(3),
  }),
  // A temporarily closed service on the Isles of Scilly stays known, with its notice.
  service({
    id: "breaks-scilly",
    org: "rutland-cc",
    name: "Scilly Short Breaks",
    description: "Short breaks for disabled children.",
    needs: ["SHORT_BREAKS"],
    ages: [5, 18],
    areas: [SCILLY],
    at: ST_MARYS,
    status: "temporarily_closed",
    alert: "Closed while the centre is refitted; reopens 1 April",
  }),
  // Distance: autism support only in Melton (Rutland's land neighbour), physical disability only in Carlisle.
  service({
    id: "autism-melton",
    org: "rutland-cc",
    name: "Melton Autism Support",
    description: "Autism support.",
    needs: ["AUTISM"],
    ages: [0, 17],
    areas: [MELTON],
    at: MELTON_MOWBRAY,
  }),
  service({
    id: "pd-carlisle",
    org: "rutland-cc",
    name: "Carlisle Physical Disability Team",
    description: "Equipment and therapy.",
    needs: ["PHYSICAL_DISABILITY"],
    ages: [0, 17],
    areas: [CUMBERLAND],
    at: CARLISLE,
  }),
  // Tiers: a King's Lynn district service, found from PE31 6AA and from Norfolk as a whole.
  service({
    id: "ey-lynn",
    org: "rutland-cc",
    name: "West Norfolk Early Years",
    description: "Early years groups.",
    needs: ["EARLY_YEARS"],
    ages: [0, 4],
    areas: [KINGS_LYNN],
    at: KINGS_LYNN_TOWN,
  }),
  // Northern Ireland: routed by council code.
  service({
    id: "fs-belfast",
    org: "rutland-cc",
    name: "Belfast Family Support Hub",
    description: "Family support.",
    needs: ["FAMILY_STRESS"],
    ages: [0, 17],
    areas: [BELFAST],
  }),
];

const health: HsdsService[] = [
  // A refuge whose place is confidential: only its postcode district (CA2) is published.
  service({
    id: "refuge-carlisle",
    org: "cumbria-health",
    name: "Carlisle Refuge",
    description: "Safe accommodation.",
    needs: ["DOMESTIC_ABUSE"],
    ages: [0, 17],
    areas: [CUMBERLAND],
    at: place("loc-refuge", 54.8851, -2.9602, "CA2 7AB", "Carlisle", true),
    routes: ["SELF", "PROFESSIONAL"],
  }),
];

const bundle = (orgs: [string, string][], services: HsdsService[]): HsdsBundle => ({
  organizations: orgs.map(([id, name]) => ({ id, name, description: name })),
  services,
  co_deliveries: [],
});
const DATA: Record<PartnerId, HsdsBundle> = {
  council: bundle([["rutland-cc", "Rutland County Council"]], council),
  charity: bundle([["decoy-trust", "Test Trust"]], charity),
  health: bundle([["cumbria-health", "North Cumbria Health"]], health),
};

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack("pglite", { dataset: DATA });
  // Wait for the directory to index everything written above.
  const total = council.length + charity.length + health.length;
  for (let i = 0; ; i++) {
    const res = await gql(
      stack.gatewayUrl,
      `{ searchServices(filter: { statuses: [ACTIVE, TEMPORARILY_CLOSED] }, first: 1) { totalCount } }`,
    );
    if (res.data?.searchServices.totalCount === total) break;
    if (i > 600) throw new Error(`index has ${res.data?.searchServices.totalCount} of ${total}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

const ROUTE = /* GraphQL */ `
  query Route($profile: ChildProfileInput!, $options: RouteOptionsInput) {
    routeChild(profile: $profile, options: $options) {
      needs {
        need
        status
        services {
          service {
            id
          }
          reasons
          distanceKm
          contractEndDate
        }
        gaps {
          kind
          blocking
          message
          nearestAge
          nearestDistanceKm
          serviceIds
          endedOn
          notices
        }
      }
    }
  }
`;
async function need(profile: Record<string, unknown>, options?: Record<string, unknown>) {
  const res = await gql(stack.gatewayUrl, ROUTE, { profile, options });
  expect(res.errors).toBeUndefined();
  expect(res.data.routeChild.needs).toHaveLength(1);
  return res.data.routeChild.needs[0];
}
const ids = (n: any) => n.services.map((s: any) => s.service.id);

describe("the whole UK", () => {
  it("lists every UK authority and answers for any of them, with tiers and neighbours", async () => {
    const res = await gql(
      stack.gatewayUrl,
      /* GraphQL */ `
        {
          localAuthorities {
            code
          }
          scilly: localAuthority(code: "E06000053") {
            name
            tier
            neighbours {
              code
            }
          }
          norwich: localAuthority(code: "E07000148") {
            name
            tier
            county {
              code
              name
            }
            upperTier {
              code
            }
          }
          norfolk: localAuthority(code: "E10000020") {
            tier
            districts {
              name
            }
          }
          rutland: localAuthority(code: "E06000017") {
            name
            neighbours {
              code
            }
          }
          newport: localAuthority(code: "W06000022") {
            name
            nameWelsh
            region
          }
          barnsley: localAuthority(code: "E08000016") {
            code
            name
          }
          nowhere: localAuthority(code: "E99999999") {
            code
          }
        }
      `,
    );
    expect(res.errors).toBeUndefined();
    const d = res.data;
    expect(d.localAuthorities).toHaveLength(382);
    expect(d.localAuthorities.map((l: any) => l.code)).toEqual(
      expect.arrayContaining([SCILLY, RUTLAND, BELFAST, "S12000036", "E10000020"]),
    );
    expect(d.scilly).toEqual({ name: "Isles of Scilly", tier: "unitary", neighbours: [] });
    expect(d.norwich).toEqual({
      name: "Norwich",
      tier: "lower",
      county: { code: NORFOLK, name: "Norfolk" },
      upperTier: { code: NORFOLK },
    });
    expect(d.norfolk.districts.map((x: any) => x.name)).toContain("King's Lynn and West Norfolk");
    expect(d.rutland.neighbours.map((x: any) => x.code)).toContain(MELTON);
    expect(d.newport).toEqual({ name: "Newport", nameWelsh: "Casnewydd", region: "Wales" });
    expect(d.barnsley).toEqual({ code: "E08000038", name: "Barnsley" });
    expect(d.nowhere).toBeNull();
  });

  it("routes from any GB postcode: the Isles of Scilly, Rutland, PE31 6AA", async () => {
    const scilly = await need({ age: 9, needs: ["EDUCATION"], postcode: "TR21 0HE" });
    expect(scilly.status).toBe("COVERED");
    expect(ids(scilly)).toEqual(["charity:age-match"]);
    expect(scilly.services[0].distanceKm).toBeLessThan(3);
    const rutland = await need({ age: 6, needs: ["SPEECH_LANGUAGE"], postcode: "le15 6aa" });
    expect(ids(rutland)).toEqual(["charity:capacity-match"]);
    const lynn = await need({ age: 2, needs: ["EARLY_YEARS"], postcode: "PE31 6AA" });
    expect(lynn.status).toBe("COVERED");
    expect(ids(lynn)).toEqual(["council:ey-lynn"]);
  });

  it("routes from any authority code, upper or lower tier", async () => {
    expect(
      ids(await need({ age: 6, needs: ["SPEECH_LANGUAGE"], localAuthority: RUTLAND })),
    ).toEqual(["charity:capacity-match"]);
    // A Leicestershire service serves a child in Melton.
    expect(
      ids(await need({ age: 14, needs: ["SUBSTANCE_MISUSE"], localAuthority: MELTON })),
    ).toEqual(["charity:status-match"]);
    // A King's Lynn service is a candidate for a child placed only in Norfolk, saying so.
    const norfolk = await need({ age: 2, needs: ["EARLY_YEARS"], localAuthority: NORFOLK });
    expect(ids(norfolk)).toEqual(["council:ey-lynn"]);
    expect(norfolk.services[0].reasons.join(" ")).toContain(
      "check the child lives in King's Lynn and West Norfolk",
    );
    // Coverage of a county counts its districts' services, and a district its county's.
    const cov = await gql(
      stack.gatewayUrl,
      `{ melton: coverage(area: "${MELTON}") { needs { need cells { ageBand total } } } }`,
    );
    const substance = cov.data.melton.needs.find((n: any) => n.need === "SUBSTANCE_MISUSE");
    expect(substance.cells.find((c: any) => c.ageBand === "SECONDARY").total).toBe(1);
  });

  it("routes Northern Ireland by council code, and says BT postcodes need POSTCODES_URL", async () => {
    expect(ids(await need({ age: 7, needs: ["FAMILY_STRESS"], localAuthority: BELFAST }))).toEqual([
      "council:fs-belfast",
    ]);
    const res = await gql(stack.gatewayUrl, ROUTE, {
      profile: { age: 7, needs: ["FAMILY_STRESS"], postcode: "BT1 5GS" },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "profile.postcode",
    });
    expect(res.errors?.[0]?.message).toMatch(/Northern Ireland.*POSTCODES_URL/);
  });

  it("names the field that is wrong or missing", async () => {
    for (const [profile, field] of [
      [{ age: 7, needs: ["FAMILY_STRESS"] }, "profile.postcode"],
      [{ age: 7, needs: ["FAMILY_STRESS"], postcode: "ZZ9 9ZZ" }, "profile.postcode"],
      [{ age: 7, needs: ["FAMILY_STRESS"], localAuthority: "E06999999" }, "profile.localAuthority"],
    ] as const) {
      const res = await gql(stack.gatewayUrl, ROUTE, { profile });
      expect(res.errors?.[0]?.extensions, JSON.stringify(profile)).toMatchObject({
        code: "BAD_USER_INPUT",
        field,
      });
    }
    const res = await gql(stack.gatewayUrl, ROUTE, {
      profile: { age: 7, needs: ["FAMILY_STRESS"], localAuthority: BELFAST },
      options: { nearbyKm: -1 },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "options.nearbyKm",
    });
  });
});

describe("filters before ranking: 250 services that cannot take the child, one that can", () => {
  it("language", async () => {
    const n = await need({
      age: 10,
      needs: ["MENTAL_HEALTH"],
      localAuthority: CUMBERLAND,
      languages: ["pl"],
    });
    expect(n.status).toBe("COVERED");
    expect(ids(n)).toEqual(["charity:lang-match"]);
  });
  it("referral route", async () => {
    const n = await need({
      age: 10,
      needs: ["PARENTING"],
      localAuthority: WESTMORLAND,
      referral: "SELF_REFERRAL",
    });
    expect(ids(n)).toEqual(["charity:route-match"]);
  });
  it("travel distance", async () => {
    const n = await need({
      age: 12,
      needs: ["YOUNG_CARERS"],
      postcode: "NE46 3AA",
      maxTravelKm: 10,
    });
    expect(ids(n)).toEqual(["charity:travel-match"]);
    expect(n.services[0].distanceKm).toBeLessThan(10);
  });
  it("capacity and wait", async () => {
    const n = await need({
      age: 6,
      needs: ["SPEECH_LANGUAGE"],
      localAuthority: RUTLAND,
      urgency: "URGENT",
    });
    expect(ids(n)).toEqual(["charity:capacity-match"]);
  });
  it("age", async () => {
    expect(ids(await need({ age: 9, needs: ["EDUCATION"], localAuthority: SCILLY }))).toEqual([
      "charity:age-match",
    ]);
  });
  it("status", async () => {
    expect(
      ids(await need({ age: 14, needs: ["SUBSTANCE_MISUSE"], localAuthority: LEICESTERSHIRE })),
    ).toEqual(["charity:status-match"]);
  });
  it("contract not ended", async () => {
    expect(ids(await need({ age: 14, needs: ["HOUSING"], localAuthority: CORNWALL }))).toEqual([
      "charity:ended-match",
    ]);
  });
  it("explains a gap from every candidate, not the first 200", async () => {
    // Nobody in Cumberland speaks Urdu: the gap is LANGUAGE, for the 251 services there.
    const n = await need({
      age: 10,
      needs: ["MENTAL_HEALTH"],
      localAuthority: CUMBERLAND,
      languages: ["ur"],
    });
    expect(n.status).toBe("GAP");
    expect(n.gaps.map((g: any) => g.kind)).toEqual(["LANGUAGE"]);
    expect(n.gaps[0].message).toContain("offered: en and pl");
  });
  it("coverage finds a sole provider ending soon behind 250 expired contracts", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ coverage(area: "${CORNWALL}") { endingContracts { service { id } contractEndDate withinMonths soleProviderFor } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.coverage.endingContracts).toEqual([
      {
        service: { id: "charity:bereave-cornwall" },
        contractEndDate: inMonths(3),
        withinMonths: 6,
        soleProviderFor: ["BEREAVEMENT"],
      },
    ]);
  });
});

describe("gaps that stay true over time", () => {
  it("never offers an ended contract, and names the date it ended", async () => {
    const n = await need({ age: 10, needs: ["YOUNG_CARERS"], localAuthority: RUTLAND });
    expect(n.services).toEqual([]);
    expect(n.status).toBe("GAP");
    const ended = n.gaps.find((g: any) => g.kind === "CONTRACT_ENDED");
    expect(ended).toMatchObject({
      blocking: true,
      endedOn: inMonths(-1),
      serviceIds: ["council:yc-rutland"],
    });
    expect(ended.message).toContain(inMonths(-1));
    expect(n.gaps.map((g: any) => g.kind)).not.toContain("NO_SERVICE");
  });

  it("still warns about contracts ending soon", async () => {
    const n = await need({ age: 10, needs: ["DOMESTIC_ABUSE"], localAuthority: RUTLAND });
    expect(n.status).toBe("AT_RISK");
    expect(n.services[0]).toMatchObject({
      service: { id: "council:da-rutland" },
      contractEndDate: inMonths(3),
    });
    expect(n.gaps).toEqual([expect.objectContaining({ kind: "CONTRACT_ENDING", blocking: false })]);
  });

  it("keeps a temporarily closed service known and reports it with its notice", async () => {
    const n = await need({ age: 10, needs: ["SHORT_BREAKS"], localAuthority: SCILLY });
    expect(n.services).toEqual([]);
    const closed = n.gaps.find((g: any) => g.kind === "TEMPORARILY_CLOSED");
    expect(closed).toMatchObject({
      serviceIds: ["council:breaks-scilly"],
      notices: ["Scilly Short Breaks: Closed while the centre is refitted; reopens 1 April"],
    });
    expect(closed.message).toContain("reopens 1 April");
    expect(n.gaps.map((g: any) => g.kind)).not.toContain("NO_SERVICE");
    const found = await gql(
      stack.gatewayUrl,
      `{ searchServices(filter: { localAuthorities: ["${SCILLY}"], statuses: [TEMPORARILY_CLOSED] }) { edges { node { id status alert } } } }`,
    );
    expect(found.data.searchServices.edges.map((e: any) => e.node)).toEqual([
      {
        id: "council:breaks-scilly",
        status: "TEMPORARILY_CLOSED",
        alert: "Closed while the centre is refitted; reopens 1 April",
      },
    ]);
  });
});

describe("distance", () => {
  it("reports a land neighbour's service as OUTSIDE_AREA, nearby", async () => {
    const n = await need({ age: 8, needs: ["AUTISM"], postcode: "LE15 6AA" });
    expect(n.gaps).toEqual([
      expect.objectContaining({ kind: "OUTSIDE_AREA", serviceIds: ["council:autism-melton"] }),
    ]);
    expect(n.gaps[0].message).toContain("nearby (its neighbouring areas or within 25 km");
    expect(n.gaps[0].nearestDistanceKm).toBeGreaterThan(12);
    expect(n.gaps[0].nearestDistanceKm).toBeLessThan(25);
  });

  it("reports the nearest help beyond the nearby radius, never NO_SERVICE, and takes the radius per request", async () => {
    const far = await need({ age: 8, needs: ["PHYSICAL_DISABILITY"], localAuthority: RUTLAND });
    expect(far.gaps).toEqual([
      expect.objectContaining({ kind: "OUTSIDE_AREA", serviceIds: ["council:pd-carlisle"] }),
    ]);
    expect(far.gaps[0].message).toContain("The nearest help is");
    expect(far.gaps[0].nearestDistanceKm).toBeGreaterThan(200);
    const wide = await need(
      { age: 8, needs: ["PHYSICAL_DISABILITY"], localAuthority: RUTLAND },
      { nearbyKm: 400 },
    );
    expect(wide.gaps[0].message).toContain("within 400 km");
    expect(wide.gaps[0].message).not.toContain("The nearest help is");
    // Without neighbours and with a 5 km radius, Melton is no longer nearby, but still the nearest help.
    const narrow = await need(
      { age: 8, needs: ["AUTISM"], postcode: "LE15 6AA" },
      { nearbyKm: 5, includeNeighbours: false },
    );
    expect(narrow.gaps).toEqual([
      expect.objectContaining({ kind: "OUTSIDE_AREA", serviceIds: ["council:autism-melton"] }),
    ]);
    expect(narrow.gaps[0].message).toContain("The nearest help is");
  });

  it("measures a confidential place from its postcode district, not the authority's centre", async () => {
    const n = await need({ age: 8, needs: ["DOMESTIC_ABUSE"], postcode: "CA2 5PP" });
    expect(ids(n)).toEqual(["health:refuge-carlisle"]);
    // CA2's centre; Cumberland's centre is 30 km away.
    expect(n.services[0].distanceKm).toBeLessThan(2);
  });
});

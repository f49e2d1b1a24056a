// routeChild's two sources of candidates must give the same plan: the one-pass path over the
// embedded index (localCandidates: one candidate set per plan, narrowed condition by condition, no
// copies) and the reference (searchCandidates: one search and one fetch per question, as any
// backend answers it). Random services and children cover every gap kind, offline partners,
// neighbours and distances.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEmbeddedBackend } from "../search/embedded.ts";
import type { SearchBackend, ServiceDoc } from "../search/types.ts";
import { blankDoc } from "../search/fixture.ts";
import { ageBandsFor } from "../../../schema/vocabulary.ts";
import { routeChild, type ChildProfile } from "./route.engine.ts";
import { coverage } from "./coverage.ts";

const TODAY = "2026-12-01";
const NEEDS = ["MENTAL_HEALTH", "AUTISM", "HOUSING", "PARENTING", "ADHD"];
// Rutland, two of its neighbours (Melton, a Leicestershire district, and Leicestershire itself),
// Norwich and Norfolk, and Bristol far away.
const AREAS = ["E06000017", "E07000133", "E10000018", "E07000148", "E10000020", "E06000023"];
const PLACES = [
  { lat: 52.67, lng: -0.72 },
  { lat: 52.77, lng: -0.88 },
  { lat: 52.63, lng: 1.29 },
  { lat: 51.46, lng: -2.58 },
];
const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);
const date = fc
  .integer({ min: -90, max: 400 })
  .map((d) =>
    new Date(Date.parse(`${TODAY}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10),
  );
const place = fc
  .tuple(
    fc.constantFrom(...PLACES),
    fc.double({ min: -0.2, max: 0.2, noNaN: true }),
    fc.double({ min: -0.3, max: 0.3, noNaN: true }),
  )
  .map(([p, a, b]) => ({ lat: p.lat + a, lng: p.lng + b }));

const docArb = (id: string) =>
  fc
    .record({
      partner: fc.constantFrom("council", "charity", "health"),
      status: fc.constantFrom("ACTIVE", "ACTIVE", "ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE"),
      alert: fc.option(fc.constantFrom("Reopens in January", "Closed for refurbishment")),
      needs: fc.subarray(NEEDS, { minLength: 1, maxLength: 3 }),
      referralRoutes: fc.subarray(["SELF", "PARENT", "PROFESSIONAL", "GP"], { minLength: 1 }),
      languages: fc.constantFrom(["en"], ["en"], ["en", "pl"], ["cy"], ["en", "ur"]),
      deliveryModes: fc.subarray(["IN_PERSON", "IN_PERSON", "ONLINE", "HOME_VISIT"], {
        minLength: 1,
      }),
      localAuthorities: fc.subarray(AREAS, { minLength: 1, maxLength: 2 }),
      minAge: fc.integer({ min: 0, max: 14 }),
      span: fc.integer({ min: 0, max: 11 }),
      acceptingReferrals: fc.boolean(),
      typicalWaitWeeks: fc.option(fc.integer({ min: 0, max: 8 })),
      contractEndDate: fc.option(date),
      location: fc.option(place, { freq: 5 }),
    })
    .map((r): ServiceDoc =>
      blankDoc(`${r.partner}:${id}`, {
        partner: r.partner,
        name: `Service ${id}`,
        status: r.status,
        alert: r.alert,
        needs: r.needs,
        referralRoutes: r.referralRoutes,
        languages: [...r.languages],
        deliveryModes: [...new Set(r.deliveryModes)],
        localAuthorities: r.localAuthorities,
        minAge: r.minAge,
        maxAge: r.minAge + r.span,
        acceptingReferrals: r.acceptingReferrals,
        typicalWaitWeeks: r.typicalWaitWeeks,
        contractEndDate: r.contractEndDate,
        location: r.location,
      }),
    );
const docsArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z0-9]{1,5}$/), { maxLength: 120 })
  .chain((ids) => fc.tuple(...ids.map(docArb)));

const childArb = fc.record({
  age: fc.integer({ min: 0, max: 25 }),
  needs: fc.subarray(NEEDS, { minLength: 1, maxLength: 4 }),
  localAuthority: fc.constantFrom("E06000017", "E07000133", "E07000148", "E10000020", "E06000023"),
  location: fc.option(place, { freq: 3 }),
  languages: fc.constantFrom([], [], ["pl"], ["cy", "ur"], ["so"]),
  referral: fc.constantFrom("SELF_REFERRAL" as const, "PROFESSIONAL_REFERRAL" as const),
  maxTravelKm: fc.option(fc.integer({ min: 2, max: 60 })),
  urgency: fc.constantFrom("ROUTINE" as const, "SOON" as const, "URGENT" as const),
  senProvision: fc.constantFrom("EHC_PLAN" as const, "SEN_SUPPORT" as const, "NONE" as const),
  today: fc.constant(TODAY),
}) as fc.Arbitrary<ChildProfile>;

const situationArb = fc.record({
  stale: subset(["council", "charity", "health"]),
  offline: subset(["council", "charity", "health"]),
  options: fc.record({
    nearbyKm: fc.integer({ min: 1, max: 80 }),
    includeNeighbours: fc.boolean(),
  }),
});

/** The same index seen as a plain backend (no local()): every question becomes a search and a fetch. */
function searchOnly(backend: SearchBackend): SearchBackend {
  const { local: _local, ...rest } = backend;
  return rest;
}

describe("routeChild candidates", () => {
  it("the one-pass path over the embedded index plans exactly as one search per question does", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        docsArb,
        fc.array(childArb, { minLength: 1, maxLength: 4 }),
        situationArb,
        async (docs, children, situation) => {
          const backend = createEmbeddedBackend();
          await backend.upsert(docs);
          expect(backend.local?.()).toBeTruthy();
          const base = {
            isStale: (p: string) => situation.stale.includes(p),
            isOffline: (p: string) => situation.stale.includes(p) || situation.offline.includes(p),
            options: situation.options,
          };
          for (const child of children) {
            const fast = await routeChild(child, { ...base, backend });
            const reference = await routeChild(child, { ...base, backend: searchOnly(backend) });
            expect(fast).toEqual(reference);
            for (const g of fast.gaps) seen.add(g.kind);
            for (const n of fast.needs) seen.add(n.status);
          }
        },
      ),
      { numRuns: 250, seed: 20261207 },
    );
    // The random data reached every kind of gap and status, so each path was compared.
    expect([...seen].sort()).toEqual(
      [
        "AGE",
        "AT_RISK",
        "CONTRACT_ENDED",
        "CONTRACT_ENDING",
        "COVERED",
        "GAP",
        "LANGUAGE",
        "NO_CAPACITY",
        "NO_SERVICE",
        "OUTSIDE_AREA",
        "PARTNER_OFFLINE",
        "REFERRAL_ROUTE",
        "TEMPORARILY_CLOSED",
        "UNKNOWN",
      ].sort(),
    );
  });

  it("routes from the index's own documents on the one-pass path, copying none", async () => {
    const backend = createEmbeddedBackend();
    const [doc] = fc.sample(docArb("x1"), { numRuns: 1, seed: 7 });
    await backend.upsert([
      {
        ...doc!,
        status: "ACTIVE",
        needs: ["AUTISM"],
        localAuthorities: ["E06000017"],
        minAge: 0,
        maxAge: 25,
        languages: ["en"],
        referralRoutes: ["SELF"],
        acceptingReferrals: true,
        contractEndDate: null,
        location: null,
      },
    ]);
    const child: ChildProfile = {
      age: 8,
      needs: ["AUTISM"],
      localAuthority: "E06000017",
      location: null,
      languages: [],
      referral: "SELF_REFERRAL",
      maxTravelKm: null,
      urgency: "ROUTINE",
      senProvision: "NONE",
      today: TODAY,
    };
    const deps = { backend, isStale: () => false };
    const [a, b] = [await routeChild(child, deps), await routeChild(child, deps)];
    expect(a.needs[0]!.services.map((s) => s.id)).toEqual([doc!.id]);
    expect(Object.isFrozen(a.needs[0]!.services[0]!.doc)).toBe(true);
    expect(a.needs[0]!.services[0]!.doc).toBe(b.needs[0]!.services[0]!.doc);
    // The reference path fetches copies.
    const c = await routeChild(child, { ...deps, backend: searchOnly(backend) });
    expect(c.needs[0]!.services[0]!.doc).not.toBe(a.needs[0]!.services[0]!.doc);
    expect(c.needs[0]!.services[0]!.doc).toEqual(a.needs[0]!.services[0]!.doc);
  });
});

describe("coverage over the embedded index", () => {
  it("counts the same matrix, gaps and ending contracts on the one-pass path as with one search per cell", async () => {
    await fc.assert(
      fc.asyncProperty(
        docsArb,
        fc.constantFrom(...AREAS),
        fc.option(fc.constantFrom("EARLY_YEARS", "PRIMARY", "SECONDARY", "POST_16", "YOUNG_ADULT")),
        async (docs, area, ageBand) => {
          const backend = createEmbeddedBackend();
          await backend.upsert(
            docs.map((d) => ({ ...d, ageBands: ageBandsFor(d.minAge, d.maxAge) })),
          );
          const input = { area, ageBand, today: TODAY };
          const fast = await coverage(input, { backend, offline: ["health"] });
          expect(fast).toEqual(
            await coverage(input, { backend: searchOnly(backend), offline: ["health"] }),
          );
        },
      ),
      { numRuns: 150, seed: 20261207 },
    );
  });
});

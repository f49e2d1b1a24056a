// EmbeddedIndex's LocalIndex face (select within a selection, count, top, facetCounts), which
// routing narrows candidates with, checked on random data against two things: search() with the
// same filters combined, and a plain reference written here that filters and sorts document by
// document. The reference also checks search()'s own order (ties broken by id through the id ranks
// the index keeps up to date across writes).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EmbeddedIndex } from "./embedded.ts";
import { dateKey, haversineKm } from "./request.ts";
import type { SearchFilter, SearchSort, ServiceDoc } from "./types.ts";
import { TRAVEL_FREE_DELIVERY_MODES } from "../../../schema/vocabulary.ts";
import { blankDoc } from "./fixture.ts";

const NEEDS = ["MENTAL_HEALTH", "AUTISM", "HOUSING", "PARENTING"];
const AREAS = ["E06000017", "E07000148", "E10000020"];
const ROUTES = ["SELF", "PARENT", "PROFESSIONAL", "GP"];
const LANGS = ["en", "pl", "cy"];
const MODES = ["IN_PERSON", "ONLINE", "HOME_VISIT"];
const STATUSES = ["ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE"];
const HOME = { lat: 52.67, lng: -0.72 };

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs]);
const date = fc
  .integer({ min: 0, max: 40 })
  .map((d) => new Date(Date.UTC(2026, 10, 1 + d)).toISOString().slice(0, 10));

// Small domains, so that filters match some documents and sort keys tie often.
const docArb = (id: string) =>
  fc
    .record({
      partner: fc.constantFrom("council", "charity", "health"),
      status: fc.constantFrom(...STATUSES),
      needs: subset(NEEDS),
      referralRoutes: subset(ROUTES),
      languages: subset(LANGS),
      deliveryModes: subset(MODES),
      localAuthorities: subset(AREAS),
      minAge: fc.integer({ min: 0, max: 12 }),
      span: fc.integer({ min: 0, max: 12 }),
      acceptingReferrals: fc.boolean(),
      typicalWaitWeeks: fc.option(fc.integer({ min: 0, max: 4 })),
      contractEndDate: fc.option(date),
      location: fc.option(
        fc.record({
          dLat: fc.double({ min: -0.3, max: 0.3, noNaN: true }),
          dLng: fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        }),
      ),
      name: fc.constantFrom("Alpha", "beta", "Gamma", "alpha"),
    })
    .map((r): ServiceDoc =>
      blankDoc(id, {
        partner: r.partner,
        name: r.name,
        status: r.status,
        needs: r.needs,
        referralRoutes: r.referralRoutes,
        languages: r.languages,
        deliveryModes: r.deliveryModes,
        localAuthorities: r.localAuthorities,
        minAge: r.minAge,
        maxAge: r.minAge + r.span,
        acceptingReferrals: r.acceptingReferrals,
        typicalWaitWeeks: r.typicalWaitWeeks,
        contractEndDate: r.contractEndDate,
        location: r.location && {
          lat: HOME.lat + r.location.dLat,
          lng: HOME.lng + r.location.dLng,
        },
      }),
    );

// Ids in no particular order relative to insertion, so ties exercise the id ranks.
const idArb = fc.stringMatching(/^[a-z0-9]{1,6}$/).map((s) => `charity:${s}`);
const docsArb = fc
  .uniqueArray(idArb, { minLength: 0, maxLength: 60 })
  .chain((ids) => fc.tuple(...ids.map(docArb)));

const baseArb: fc.Arbitrary<SearchFilter> = fc.record(
  {
    needs: subset(NEEDS),
    age: fc.integer({ min: 0, max: 25 }),
    localAuthorities: subset(AREAS),
    statuses: subset(STATUSES),
    contractEnd: fc.oneof(
      fc.record({ onOrAfter: date }),
      fc.record({ onOrBefore: date }),
      fc.record({ onOrAfter: date, onOrBefore: date }),
    ),
  },
  { requiredKeys: [] },
);
// Conditions set disjoint fields (as routing's do), so chaining them means what merging them does.
const CONDITIONS: fc.Arbitrary<SearchFilter>[] = [
  fc.record({ languages: subset(LANGS) }),
  fc.record({ referralRoutes: subset(ROUTES) }),
  fc.record({
    reachableFrom: fc.record({
      lat: fc.constant(HOME.lat),
      lng: fc.constant(HOME.lng),
      radiusKm: fc.integer({ min: 1, max: 40 }),
    }),
  }),
  fc.record(
    { acceptingReferrals: fc.boolean(), maxWaitWeeks: fc.integer({ min: 0, max: 4 }) },
    { requiredKeys: ["acceptingReferrals"] },
  ),
  fc.record({ deliveryModes: subset(MODES) }),
];
const conditionsArb = fc
  .shuffledSubarray(
    CONDITIONS.map((_, i) => i),
    { maxLength: 3 },
  )
  .chain((picked) => fc.tuple(...picked.map((i) => CONDITIONS[i]!)));
const sortArb = fc.constantFrom<SearchSort>("WAIT", "CONTRACT_END", "NAME", "DISTANCE");
const nearArb = fc.option(
  fc.record({
    lat: fc.constant(HOME.lat),
    lng: fc.constant(HOME.lng),
    radiusKm: fc.integer({ min: 1, max: 60 }),
  }),
);

/** What a filter means, one document at a time (the rules in types.ts SearchFilter). */
function passes(d: ServiceDoc, f: SearchFilter): boolean {
  const anyOf = (have: string[], want: string[] | undefined) =>
    !want?.length || have.some((v) => want.includes(v));
  const statuses = f.statuses ?? ["ACTIVE"];
  if (statuses.length && !statuses.includes(d.status)) return false;
  if (!anyOf(d.needs, f.needs) || !anyOf(d.localAuthorities, f.localAuthorities)) return false;
  if (
    !anyOf(d.referralRoutes, f.referralRoutes) ||
    !anyOf(d.languages, f.languages) ||
    !anyOf(d.deliveryModes, f.deliveryModes)
  )
    return false;
  if (f.age !== undefined && (d.minAge > f.age || d.maxAge < f.age)) return false;
  if (f.acceptingReferrals !== undefined && d.acceptingReferrals !== f.acceptingReferrals)
    return false;
  if (
    f.maxWaitWeeks !== undefined &&
    d.typicalWaitWeeks !== null &&
    d.typicalWaitWeeks > f.maxWaitWeeks
  )
    return false;
  if (f.contractEnd) {
    const { onOrAfter, onOrBefore } = f.contractEnd;
    if (d.contractEndDate === null) {
      if (onOrBefore !== undefined) return false;
    } else if (
      (onOrAfter && d.contractEndDate < onOrAfter) ||
      (onOrBefore && d.contractEndDate > onOrBefore)
    )
      return false;
  }
  if (
    f.reachableFrom &&
    d.location &&
    !d.deliveryModes.some((m) => TRAVEL_FREE_DELIVERY_MODES.includes(m))
  ) {
    const { lat, lng, radiusKm } = f.reachableFrom;
    if (haversineKm(lat, lng, d.location.lat, d.location.lng) > radiusKm) return false;
  }
  return true;
}

/** The first k of the documents in search order (sort key, then id), with near as search applies it. */
function reference(
  docs: ServiceDoc[],
  f: SearchFilter,
  sort: SearchSort,
  k: number,
  near: { lat: number; lng: number; radiusKm: number } | null,
): string[] {
  const fold = (s: string) => s.toLowerCase();
  let rows = docs
    .filter((d) => passes(d, f))
    .map((d) => ({
      d,
      dist:
        near && d.location
          ? haversineKm(near.lat, near.lng, d.location.lat, d.location.lng)
          : Infinity,
    }));
  if (near) rows = rows.filter((r) => r.dist <= near.radiusKm);
  const effective = sort === "DISTANCE" && !near ? "NAME" : sort;
  const key = (r: (typeof rows)[number]): number | string =>
    effective === "WAIT"
      ? (r.d.typicalWaitWeeks ?? 1e9)
      : effective === "CONTRACT_END"
        ? (dateKey(r.d.contractEndDate) ?? 1e9)
        : effective === "DISTANCE"
          ? r.dist
          : fold(r.d.name);
  rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.d.id < b.d.id ? -1 : a.d.id > b.d.id ? 1 : 0;
  });
  return rows.slice(0, k).map((r) => r.d.id);
}

describe("EmbeddedIndex select/count/top/facetCounts", () => {
  it("narrowing step by step finds what one search with every filter finds, in the same order", () => {
    fc.assert(
      fc.property(
        docsArb,
        fc.array(idArb, { maxLength: 10 }),
        baseArb,
        conditionsArb,
        sortArb,
        fc.integer({ min: 1, max: 30 }),
        nearArb,
        (docs, removed, base, conditions, sort, k, near) => {
          const index = new EmbeddedIndex(8);
          // Written in three steps with queries in between, so the id ranks are merged, not built once.
          const third = Math.ceil(docs.length / 3);
          index.upsert(docs.slice(0, third));
          index.search({ sort: "NAME", limit: 1, offset: 0 });
          index.upsert(docs.slice(third));
          index.search({ sort: "WAIT", limit: 1, offset: 0 });
          index.remove(removed);
          const live = docs.filter((d) => !removed.includes(d.id));

          let sel = index.select(base);
          for (const c of conditions) sel = index.select({ ...c, statuses: [] }, sel);
          const all: SearchFilter = Object.assign({}, base, ...conditions);
          const searched = index.search({
            filter: all,
            sort,
            limit: k,
            offset: 0,
            facets: true,
            ...(near ? { near } : {}),
          });

          const top = index.top(sel, sort, k, near ?? undefined).map((d) => d.id);
          expect(top).toEqual(searched.hits.map((h) => h.id));
          expect(top).toEqual(reference(live, all, sort, k, near));
          if (!near) {
            expect(index.count(sel)).toBe(searched.totalCount);
            expect(index.facetCounts(sel, "languages")).toEqual(searched.facets!.languages);
          }
          expect(index.count(sel)).toBe(live.filter((d) => passes(d, all)).length);
        },
      ),
      { numRuns: 300, seed: 20261207 },
    );
  });

  it("hands out its own frozen documents from top(), and copies from get()", () => {
    const index = new EmbeddedIndex(8);
    index.upsert([{ ...doc("charity:a"), needs: ["AUTISM"] }]);
    const [mine] = index.top(index.select({}), "WAIT", 1);
    expect(Object.isFrozen(mine)).toBe(true);
    expect(Object.isFrozen(mine!.needs)).toBe(true);
    expect(() => (mine!.needs as string[]).push("HOUSING")).toThrow(TypeError);
    const [copy] = index.get(["charity:a"]);
    copy!.needs.push("HOUSING");
    expect(index.count(index.select({ needs: ["HOUSING"] }))).toBe(0);
  });

  it("refuses a selection made before a write instead of answering from the old slots", () => {
    const index = new EmbeddedIndex(8);
    index.upsert([doc("charity:a")]);
    const sel = index.select({});
    index.upsert([doc("charity:b")]);
    expect(() => index.count(sel)).toThrow(/stale Selection/);
    expect(() => index.select({}, sel)).toThrow(/stale Selection/);
    expect(index.count(index.select({}))).toBe(2);
  });
});

function doc(id: string): ServiceDoc {
  return blankDoc(id, {
    partner: "charity",
    name: id,
  });
}

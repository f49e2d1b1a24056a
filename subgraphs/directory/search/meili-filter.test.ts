import { describe, expect, it } from "vitest";
import { buildMeiliFilter, filterExpression, num, quote } from "./meili-filter.ts";
import { normaliseRequest } from "./request.ts";
import type { SearchFilter, SearchRequest } from "./types.ts";
import { FIXTURE, reference } from "./fixture.ts";
import { MEILI_SETTINGS, toMeiliDoc } from "./meilisearch.ts";
import { uuidFor } from "../../../schema/hsds-ids.ts";

/**
 * Meilisearch's meaning of the clause forms the ORUK filters use, on a document as toMeiliDoc
 * stores it: a condition on an array attribute holds when any one element meets it (which is why
 * sessions need keys, see types.ts sessionKeysFor). Clauses are ANDed, `OR` joins ranges.
 */
function meiliMatches(doc: Record<string, unknown>, clauses: string[]): boolean {
  const values = (attr: string) => {
    const v = doc[attr];
    return Array.isArray(v) ? (v as unknown[]) : [v];
  };
  const holds = (clause: string): boolean => {
    const inList = /^(\w+) IN \[(.*)\]$/.exec(clause);
    if (inList) {
      const wanted = JSON.parse(`[${inList[2]}]`) as string[];
      return values(inList[1]!).some((v) => wanted.includes(v as string));
    }
    const range = /^(\w+) (-?[\d.]+) TO (-?[\d.]+)$/.exec(clause);
    if (range)
      return values(range[1]!).some(
        (v) => (v as number) >= +range[2]! && (v as number) <= +range[3]!,
      );
    const cmp = /^(\w+) (>=|<=) (-?[\d.]+)$/.exec(clause);
    if (cmp)
      return values(cmp[1]!).some((v) =>
        cmp[2] === ">=" ? (v as number) >= +cmp[3]! : (v as number) <= +cmp[3]!,
      );
    throw new Error(`clause form not modelled: ${clause}`);
  };
  return clauses.every((c) => c.split(" OR ").some(holds));
}

const build = (req: Partial<SearchRequest>) =>
  buildMeiliFilter(normaliseRequest({ limit: 10, offset: 0, ...req }));

describe("quote", () => {
  it("double-quotes and escapes backslashes and quotes, nothing else", () => {
    expect(quote("council")).toBe('"council"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote("a\\b")).toBe('"a\\\\b"');
    expect(quote('\\"')).toBe('"\\\\\\""');
    expect(quote(") OR (1 = 1")).toBe('") OR (1 = 1"');
  });

  it("leaves no unescaped quote inside any hostile value", () => {
    for (const s of ['"', '\\"', '" OR partner = "council', '\\\\"', "x\\", '"""']) {
      const inner = quote(s).slice(1, -1);
      // Every quote is preceded by an odd run of backslashes; the literal cannot be closed early.
      for (const m of inner.matchAll(/(\\*)"/g)) expect(m[1]!.length % 2, s).toBe(1);
      expect(inner.match(/\\*$/)![0].length % 2, s).toBe(0);
    }
  });
});

describe("buildMeiliFilter", () => {
  it("builds the routing filters: longest wait, contract window, reach with its travel-free exemption", () => {
    expect(
      build({
        filter: {
          maxWaitWeeks: 6,
          contractEnd: { onOrAfter: "2026-12-01", onOrBefore: "2027-12-01" },
          reachableFrom: { lat: 54.88, lng: -2.9, radiusKm: 10 },
        },
      }),
    ).toEqual([
      'status IN ["ACTIVE"]',
      "waitFilter <= 6",
      "contractSort >= 20788",
      "contractSort <= 21153",
      '_geoRadius(54.88, -2.9, 10000) OR located = false OR deliveryModes IN ["ONLINE", "TELEPHONE", "HOME_VISIT"]',
    ]);
    expect(
      build({ filter: { contractEnd: { onOrAfter: "2027-01-01", onOrBefore: "2026-01-01" } } }),
    ).toBeNull();
    expect(() => build({ filter: { contractEnd: { onOrAfter: "next week" } } })).toThrow(
      /YYYY-MM-DD/,
    );
  });

  it("builds each filter from constants, checked codes and quoted values", () => {
    const clauses = build({
      filter: {
        needs: ["autism", "ADHD"],
        age: 9,
        localAuthorities: ["E10000020"],
        partners: ["Charity"],
        freeOnly: true,
        referralRoutes: ["GP"],
        languages: ["CY"],
        deliveryModes: ["ONLINE"],
        acceptingReferrals: false,
        openAt: { day: "mo", time: "09:30" },
        statuses: ["ACTIVE", "TEMPORARILY_CLOSED"],
        ids: ["council:c01"],
      },
      near: { lat: 52.63, lng: 1.2816, radiusKm: 2.5 },
    });
    expect(clauses).toEqual([
      'status IN ["ACTIVE", "TEMPORARILY_CLOSED"]',
      'partner IN ["charity"]',
      'localAuthorities IN ["E10000020"]',
      'needs IN ["AUTISM", "ADHD"]',
      'referralRoutes IN ["GP"]',
      'languages IN ["cy"]',
      'deliveryModes IN ["ONLINE"]',
      'cost = "free"',
      "acceptingReferrals = false",
      'openSlots = "MO-09"',
      'id IN ["council:c01"]',
      "minAge <= 9",
      "maxAge >= 9",
      "_geoRadius(52.63, 1.2816, 2500)",
    ]);
    expect(filterExpression(clauses!)).toBe(clauses!.map((c) => `(${c})`).join(" AND "));
  });

  it("builds the ORUK API's filters on attributes the settings make filterable", () => {
    const sal = uuidFor("service_at_location:c02:c02-b");
    const clauses = build({
      filter: {
        statuses: [],
        organizations: ["council:org-2"],
        taxonomyTerms: ["t-esd-1"],
        taxonomies: ["esd"],
        serviceAtLocations: [sal],
        modifiedSince: "2026-01-15T00:00:00Z",
        ageRangeWithin: { minimumAge: 5, maximumAge: 18 },
        minLocations: 2,
        session: { day: "MO", startsAtOrAfter: "09:00", endsAtOrBefore: "17:00" },
      },
    })!;
    expect(clauses.slice(0, -1)).toEqual([
      'organizationId IN ["council:org-2"]',
      'taxonomyTerms IN ["t-esd-1"]',
      'taxonomies IN ["esd"]',
      `serviceAtLocations IN ["${sal}"]`,
      "modifiedMs >= 1768435200000",
      "minAge >= 5",
      "maxAgeStatedKey <= 18",
      "locationCount >= 2",
    ]);
    // Monday (day 0), opening at 09:00 or later: keys of opens+1 in [541, 2047], as 7 dyadic
    // intervals (541, 542–543, 544–575, 576–639, 640–767, 768–1023, 1024–2047), closing ≤ 17:00.
    const session = clauses.at(-1)!.split(" OR ");
    expect(session).toHaveLength(7);
    expect(session[0]).toBe(
      `sessionKeys ${(0 * 4096 + 2048 + 541) * 2048} TO ${(2048 + 541) * 2048 + 1020}`,
    );
    for (const c of session) expect(c).toMatch(/^sessionKeys \d+ TO \d+$/);
    const attrs = new Set(clauses.flatMap((c) => c.match(/^\w+|(?<= OR )\w+/g) ?? []));
    for (const a of attrs) expect(MEILI_SETTINGS.filterableAttributes).toContain(a);
  });

  it("finds with these clauses, on the documents toMeiliDoc stores, what the reference finds", () => {
    const stored = FIXTURE.map((d) => toMeiliDoc(d) as unknown as Record<string, unknown>);
    const filters: SearchFilter[] = [
      { organizations: ["council:org-2", "charity:org-9"] },
      { taxonomyTerms: ["t-or-7"] },
      { taxonomies: ["esd"] },
      { serviceAtLocations: [uuidFor("service_at_location:n02:n02-b")] },
      { modifiedSince: "2026-01-15T00:00:00Z" },
      { modifiedSince: "2026-01-15T00:00:00.001Z" },
      { ageRangeWithin: { minimumAge: 11 } },
      { ageRangeWithin: { maximumAge: 25 } },
      { ageRangeWithin: { minimumAge: 11, maximumAge: 25 } },
      { minLocations: 2 },
      { session: { day: "MO", startsAtOrAfter: "09:00", endsAtOrBefore: "12:00" } },
      { session: { day: "MO", startsAtOrAfter: "08:00", endsAtOrBefore: "12:00" } },
      { session: { day: "MO", startsAtOrAfter: "09:00", endsAtOrBefore: "20:00" } },
      { session: { startsAtOrAfter: "09:00", endsAtOrBefore: "12:30" } },
      { session: { day: "TU", startsAtOrAfter: "18:00" } },
      { session: { day: "TU", endsAtOrBefore: "15:00" } },
      { session: { day: "TU", startsAtOrAfter: "00:00", endsAtOrBefore: "15:00" } },
      { session: { day: "SA" } },
    ];
    for (const filter of filters) {
      const clauses = build({ filter })!;
      const found = FIXTURE.filter((_, i) => meiliMatches(stored[i]!, clauses)).map((d) => d.id);
      const want = reference(FIXTURE, { filter, limit: 100, offset: 0 }).ids;
      expect(found.sort(), JSON.stringify(filter)).toEqual([...want].sort());
    }
  });

  it("requires every need with needsMatch ALL", () => {
    expect(
      build({ filter: { needs: ["AUTISM", "ADHD"], needsMatch: "ALL", statuses: [] } }),
    ).toEqual(['needs = "AUTISM"', 'needs = "ADHD"']);
  });

  it("drops unknown vocabulary values, and says 'impossible' when nothing is left", () => {
    expect(build({ filter: { partners: ["charity", '" OR partner = "council'] } })).toEqual([
      'status IN ["ACTIVE"]',
      'partner IN ["charity"]',
    ]);
    expect(build({ filter: { partners: ['" OR partner = "council'] } })).toBeNull();
    expect(build({ filter: { statuses: ["ACTIVE) OR (status = DEFUNCT"] } })).toBeNull();
    expect(build({ filter: { openAt: { day: "MO", time: "9 OR 1" } } })).toBeNull();
    expect(build({ filter: { languages: ["en) OR (x"] } })).toBeNull();
  });

  it("quotes free-form values such as ids", () => {
    expect(build({ filter: { ids: ['a" OR partner = "council', "b\\"], statuses: [] } })).toEqual([
      'id IN ["a\\" OR partner = \\"council", "b\\\\"]',
    ]);
  });

  it("writes numbers without exponents", () => {
    expect(num(1e-7)).toBe("0.0000001");
    expect(num(12.5)).toBe("12.5");
    expect(num(-3)).toBe("-3");
    expect(() => num(Number.NaN)).toThrow(RangeError);
    expect(build({ filter: { age: 0.5, statuses: [] } })).toEqual([
      "minAge <= 0.5",
      "maxAge >= 0.5",
    ]);
  });

  it("has no clauses when nothing constrains", () => {
    expect(build({ filter: { statuses: [] } })).toEqual([]);
    expect(filterExpression([])).toBeUndefined();
  });
});

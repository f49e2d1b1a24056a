import { describe, expect, it } from "vitest";
import { buildMeiliFilter, filterExpression, num, quote } from "./meili-filter.ts";
import { normaliseRequest } from "./request.ts";
import type { SearchRequest } from "./types.ts";

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

// The behaviour every SearchBackend must show, as one vitest suite run against each backend
// (embedded always; Meilisearch when MEILI_URL is set). Loads FIXTURE and checks results against
// hand-picked expectations and the naive reference implementation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BRISTOL, FIXTURE, NEWPORT, NORFOLK, NORWICH, fixtureDoc, reference } from "./fixture.ts";
import type { SearchBackend, SearchFilter, SearchRequest, SearchResult } from "./types.ts";
import { uuidFor } from "../../../schema/hsds-ids.ts";

export const HOSTILE: string[] = [
  '"',
  "'",
  '" OR partner = "council',
  '" OR 1=1 OR id = "',
  ")",
  "(",
  "((",
  "\\",
  '\\"',
  "AND",
  "NOT",
  "OR",
  "partner = council",
  "status IN [ACTIVE, DEFUNCT]",
  "_geoRadius(0, 0, 100000000)",
  "x".repeat(10_000),
  "bereavement ".repeat(900),
  "😀🧒🏽‍🦱",
  "مساعدة الأطفال",
  "\u202Ecamhs\u202C",
  "ca\u200Bmhs",
  "\u0000\u0001\u001f",
  "\uE000mark\uE001",
  "<script>alert(1)</script>",
  "-bereavement",
  '"bereavement"',
  "*",
  "",
  "   ",
];

export function searchContract(name: string, makeBackend: () => Promise<SearchBackend>) {
  describe(`search contract: ${name}`, () => {
    let backend: SearchBackend;
    const search = (req: Partial<SearchRequest>): Promise<SearchResult> =>
      backend.search({ limit: 50, offset: 0, ...req });
    const ids = async (req: Partial<SearchRequest>) => (await search(req)).hits.map((h) => h.id);
    const sorted = (xs: string[]) => [...xs].sort();
    const expectFilter = async (filter: SearchFilter, expected?: string[]) => {
      const r = await search({ filter, sort: "NAME" });
      const want = reference(FIXTURE, { filter, sort: "NAME", limit: 50, offset: 0 }).ids;
      expect(r.hits.map((h) => h.id)).toEqual(want);
      expect(r.totalCount).toBe(want.length);
      if (expected) expect(sorted(want)).toEqual(sorted(expected));
      return want;
    };

    beforeAll(async () => {
      backend = await makeBackend();
      await backend.clear();
      await backend.upsert(FIXTURE);
    });
    afterAll(async () => {
      await backend?.clear().catch(() => undefined);
      await backend?.close();
    });

    describe("documents", () => {
      it("counts, gets in id order and lists ids by partner", async () => {
        expect(await backend.count()).toBe(30);
        const got = await backend.get(["health:n02", "nope:1", "council:c01"]);
        expect(got.map((d) => d?.id ?? null)).toEqual(["health:n02", null, "council:c01"]);
        expect(got[0]).toEqual(fixtureDoc("health:n02"));
        expect(await backend.idsByPartner("charity")).toEqual(
          FIXTURE.filter((d) => d.partner === "charity")
            .map((d) => d.id)
            .sort(),
        );
        expect(await backend.idsByPartner("nobody")).toEqual([]);
      });
    });

    describe("text", () => {
      it("finds services by words in the name, description or organisation", async () => {
        // The wheelchair service by name; short breaks through the physical-disability synonyms.
        expect(await ids({ query: "wheelchair" })).toEqual(["health:n08", "council:c04"]);
        expect(await ids({ query: "Dyslexia tutors" })).toEqual(["charity:h07"]);
        expect(await ids({ query: "example nhs trust" })).toHaveLength(10);
      });

      it("requires every word to match", async () => {
        expect(await ids({ query: "wheelchair dyslexia" })).toEqual([]);
      });

      it("tolerates typos: a missing letter, a wrong letter", async () => {
        expect(await ids({ query: "bereavment" })).toEqual(
          expect.arrayContaining(["charity:h01", "health:n10"]),
        );
        expect(await ids({ query: "speach therapy" })).toContain("health:n02");
      });

      it("tolerates transposed letters (CAHMS) and any case (camhs)", async () => {
        for (const q of ["CAHMS", "camhs", "Camhs"]) {
          const r = await ids({ query: q });
          expect(r, q).toContain("health:n01");
          expect(r[0], q).toBe("health:n01");
        }
      });

      it("expands synonyms and acronyms both ways", async () => {
        // Phrase → acronym: the CAMHS service and every mental-health service.
        const camhs = await ids({ query: "child and adolescent mental health" });
        expect(camhs).toEqual(expect.arrayContaining(["health:n01", "charity:h04", "charity:h01"]));
        // Need synonyms from the vocabulary.
        expect(await ids({ query: "grief" })).toEqual(
          expect.arrayContaining(["charity:h01", "health:n10"]),
        );
        expect(await ids({ query: "SALT" })).toContain("health:n02");
        expect(await ids({ query: "ehcp" })).toContain("council:c02");
        expect(await ids({ query: "sendiass" })).toContain("council:c02");
        // Acronym in the text, phrase in the query.
        expect(await ids({ query: "attention deficit hyperactivity disorder" })).toEqual(
          expect.arrayContaining(["health:n06", "health:n05"]),
        );
      });

      it("never returns services the status default hides", async () => {
        const r = await ids({ query: "bereavement" });
        expect(r).not.toContain("charity:h10");
        expect(await ids({ query: "bereavement", filter: { statuses: ["DEFUNCT"] } })).toEqual([
          "charity:h10",
        ]);
      });

      it("highlights matches in an HTML-escaped snippet", async () => {
        const [hit] = (await search({ query: "counselling" })).hits;
        expect(hit!.id).toBe("charity:h04");
        const h = hit!.highlight!;
        expect(h).toMatch(/<mark>counselling<\/mark>/i);
        expect(h).toContain("&amp;");
        expect(h).not.toContain("<script>");
        expect(h).toContain("&lt;script&gt;");
        expect(h.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
        expect((await search({ filter: { ids: ["charity:h04"] } })).hits[0]!.highlight).toBeNull();
      });

      it("ranks a name match above a passing mention", async () => {
        const r = await ids({ query: "autism" });
        expect(sorted(r)).toEqual(["charity:h03", "health:n05", "health:n06"]);
        expect(r[0]).toBe("charity:h03");
      });
    });

    describe("filters", () => {
      it("hides non-active services unless statuses say otherwise", async () => {
        const r = await search({ sort: "NAME" });
        expect(r.totalCount).toBe(27);
        expect(r.hits.map((h) => h.id)).not.toContain("council:c08");
        await expectFilter({ statuses: ["TEMPORARILY_CLOSED"] }, ["council:c08"]);
        await expectFilter({ statuses: ["INACTIVE", "DEFUNCT"] }, ["council:c09", "charity:h10"]);
        expect((await search({ filter: { statuses: [] } })).totalCount).toBe(30);
      });

      it("matches needs ANY or ALL", async () => {
        await expectFilter({ needs: ["AUTISM", "ADHD"] }, [
          "charity:h03",
          "health:n05",
          "health:n06",
        ]);
        await expectFilter({ needs: ["AUTISM", "ADHD"], needsMatch: "ALL" }, [
          "health:n05",
          "health:n06",
        ]);
      });

      it("keeps a child's age inside the service's range, both ends inclusive", async () => {
        expect(
          await ids({ filter: { age: 8, localAuthorities: [BRISTOL], needs: ["YOUNG_CARERS"] } }),
        ).toEqual(["council:c03"]);
        expect(await ids({ filter: { age: 18, needs: ["YOUNG_CARERS"] } })).toEqual([
          "council:c03",
        ]);
        expect(await ids({ filter: { age: 19, needs: ["YOUNG_CARERS"] } })).toEqual([]);
        expect(await ids({ filter: { age: 7, needs: ["YOUNG_CARERS"] } })).toEqual([]);
        await expectFilter({ age: 0 });
        await expectFilter({ age: 25 });
        await expectFilter({ age: 12.5 });
      });

      it("filters by local authority, partner, cost, referral route, language, delivery mode", async () => {
        await expectFilter({ localAuthorities: [NEWPORT] });
        await expectFilter({ localAuthorities: [NORFOLK, BRISTOL] });
        expect((await search({ filter: { partners: ["health"] } })).totalCount).toBe(10);
        await expectFilter({ partners: ["council", "charity"] });
        await expectFilter({ freeOnly: true });
        await expectFilter({ referralRoutes: ["GP"] });
        await expectFilter({ languages: ["cy"] }, ["council:c07", "council:c10", "health:n04"]);
        await expectFilter({ languages: ["bfi", "pl"] }, ["charity:h02", "charity:h09"]);
        await expectFilter({ deliveryModes: ["HOME_VISIT"] }, ["council:c10", "health:n03"]);
      });

      it("filters by accepting referrals", async () => {
        await expectFilter({ acceptingReferrals: false }, ["council:c05", "health:n06"]);
        expect((await search({ filter: { acceptingReferrals: true } })).totalCount).toBe(25);
      });

      it("filters by longest wait, counting an unstated wait as none", async () => {
        const two = await expectFilter({ maxWaitWeeks: 2 });
        expect(two.length).toBeGreaterThan(0);
        expect(two.length).toBeLessThan(FIXTURE.filter((d) => d.status === "ACTIVE").length);
        await expectFilter({ maxWaitWeeks: 0 });
        await expectFilter({ maxWaitWeeks: 12, needs: ["MENTAL_HEALTH"] });
      });

      it("filters by contract end window: open-ended keeps no end date, a closed window drops it", async () => {
        const notEnded = await expectFilter({ contractEnd: { onOrAfter: "2026-06-01" } });
        const between = await expectFilter({
          contractEnd: { onOrAfter: "2026-01-01", onOrBefore: "2026-12-31" },
        });
        const ended = await expectFilter({ contractEnd: { onOrBefore: "2026-05-31" } });
        expect(between.length).toBeGreaterThan(0);
        expect(ended.length).toBeGreaterThan(0);
        // Every active service has either ended by 31 May or not (no end date counts as not).
        expect(notEnded.length + ended.length).toBe(
          FIXTURE.filter((d) => d.status === "ACTIVE").length,
        );
        await expectFilter(
          { contractEnd: { onOrAfter: "2027-01-01", onOrBefore: "2026-01-01" } },
          [],
        );
      });

      it("filters by reach: within the radius, or without travel, or with no location", async () => {
        const from = { ...NORWICH, radiusKm: 5 };
        const reach = await expectFilter({ reachableFrom: from });
        const near = (await search({ near: from, limit: 100 })).hits.map((h) => h.id);
        // Everything near is reachable; so is what needs no journey or has no place to go to.
        for (const id of near) expect(reach).toContain(id);
        expect(reach.length).toBeGreaterThan(near.length);
        await expectFilter({ reachableFrom: { ...NORWICH, radiusKm: 500 } });
        await expectFilter({ reachableFrom: from, needs: ["MENTAL_HEALTH"], maxWaitWeeks: 4 });
      });

      it("filters by opening day and hour", async () => {
        await expectFilter({ openAt: { day: "SA" } }, [
          "charity:h02",
          "charity:h07",
          "charity:h09",
        ]);
        await expectFilter({ openAt: { day: "TU", time: "19:30" } }, ["charity:h02", "health:n09"]);
        const monday9 = await expectFilter({ openAt: { day: "MO", time: "09:00" } });
        expect(monday9).toContain("council:c01");
        const monday5pm = await expectFilter({ openAt: { day: "MO", time: "17:00" } });
        expect(monday5pm).toEqual(["charity:h02"]);
        expect(await ids({ filter: { openAt: { day: "XX" } } })).toEqual([]);
      });

      it("filters by organization, taxonomy term and taxonomy (the ORUK API's filters)", async () => {
        await expectFilter({ organizations: ["council:org-2"] }, ["council:c02", "council:c03"]);
        await expectFilter({ organizations: ["charity:org-9", "council:org-2", "nobody"] }, [
          "council:c02",
          "council:c03",
          "charity:h01",
        ]);
        expect(await ids({ filter: { organizations: ["org-2"] } })).toEqual([]);
        await expectFilter({ taxonomyTerms: ["t-esd-1"] }, ["council:c02", "council:c03"]);
        await expectFilter({ taxonomyTerms: ["t-or-7"] }, ["council:c03", "charity:h01"]);
        await expectFilter({ taxonomies: ["openreferral"] }, ["council:c03", "charity:h01"]);
        await expectFilter({ taxonomies: ["esd"], taxonomyTerms: ["t-or-7"] }, ["council:c03"]);
        expect(await ids({ filter: { taxonomies: ["nope"] } })).toEqual([]);
      });

      it("filters by last change, inclusive", async () => {
        await expectFilter({ modifiedSince: "2026-01-15T00:00:00Z" }, [
          "council:c03",
          "health:n04",
          "charity:h01",
        ]);
        await expectFilter({ modifiedSince: "2026-01-15T00:00:00.001Z" }, ["charity:h01"]);
        await expectFilter({ modifiedSince: "2000-01-01" });
      });

      it("filters by an age range within bounds; an unstated maximum never passes a maximum", async () => {
        const min11 = await expectFilter({ ageRangeWithin: { minimumAge: 11 } });
        expect(min11).toContain("charity:h04");
        const upTo25 = await expectFilter({ ageRangeWithin: { maximumAge: 25 } });
        expect(upTo25).not.toContain("council:c02");
        expect(upTo25).not.toContain("charity:h04");
        expect(upTo25).toContain("council:c07");
        await expectFilter({ ageRangeWithin: { minimumAge: 11, maximumAge: 25 } }, [
          "council:c07",
          "charity:h06",
          "health:n09",
        ]);
        await expectFilter({ ageRangeWithin: { minimumAge: 0, maximumAge: 4 } }, ["health:n07"]);
      });

      it("filters by one session opening at or after and closing at or before, on a day", async () => {
        // Two Monday sessions (08–12, 14–20): neither opens at 09:00 or later and closes by 12:00.
        await expectFilter(
          { session: { day: "MO", startsAtOrAfter: "09:00", endsAtOrBefore: "12:00" } },
          [],
        );
        await expectFilter(
          { session: { day: "MO", startsAtOrAfter: "08:00", endsAtOrBefore: "12:00" } },
          ["council:c02"],
        );
        const monday = await expectFilter({
          session: { day: "MO", startsAtOrAfter: "09:00", endsAtOrBefore: "20:00" },
        });
        expect(monday).toContain("council:c02");
        expect(monday).toContain("council:c01");
        // A session with no days counts only when no day is asked for.
        await expectFilter({ session: { startsAtOrAfter: "09:00", endsAtOrBefore: "12:30" } }, [
          "health:n02",
        ]);
        // "1TU" is a Tuesday; an unstated closing time passes when no end is asked for.
        await expectFilter({ session: { day: "TU", startsAtOrAfter: "18:00" } }, ["charity:h01"]);
        await expectFilter({ session: { day: "TU", endsAtOrBefore: "15:00" } }, ["health:n04"]);
        await expectFilter(
          { session: { day: "TU", startsAtOrAfter: "00:00", endsAtOrBefore: "15:00" } },
          [],
        );
        await expectFilter({ session: { day: "SA" } }, ["council:c03"]);
        await expectFilter({ session: {} });
        expect(await ids({ filter: { session: { day: "XX" } } })).toEqual([]);
        expect(await ids({ filter: { session: { startsAtOrAfter: "9 am" } } })).toEqual([]);
      });

      it("filters by service_at_location id and by number of locations", async () => {
        const sal = uuidFor("service_at_location:c02:c02-b");
        await expectFilter({ serviceAtLocations: [sal, "nope"] }, ["council:c02"]);
        await expectFilter({ minLocations: 2 }, ["council:c02", "health:n02"]);
        const one = await expectFilter({ minLocations: 1 });
        expect(one).not.toContain("charity:h01");
        await expectFilter({ minLocations: 0 });
      });

      it("filters by ids, still applying the status default", async () => {
        expect(
          sorted(await ids({ filter: { ids: ["health:n01", "council:c09", "nope"] } })),
        ).toEqual(["health:n01"]);
        expect(await ids({ filter: { ids: [] } })).toEqual([]);
      });

      it("combines filters with text", async () => {
        expect(
          await ids({
            query: "support",
            filter: { partners: ["charity"], localAuthorities: [NORFOLK], age: 5 },
          }),
        ).toEqual(expect.arrayContaining(["charity:h01", "charity:h03"]));
        expect(
          await ids({
            query: "family support",
            filter: { partners: ["council"], languages: ["cy"] },
          }),
        ).toEqual(["council:c10"]);
        // The last word also matches as a prefix: "support" finds "supported lodgings".
        expect(
          sorted(
            await ids({ query: "support", filter: { partners: ["council"], languages: ["cy"] } }),
          ),
        ).toEqual(["council:c07", "council:c10"]);
      });
    });

    describe("facets", () => {
      it("counts every facet over the whole result, not the page", async () => {
        const r = await search({ facets: true, limit: 2 });
        expect(r.hits).toHaveLength(2);
        expect(r.facets!.partner).toEqual([
          { value: "health", count: 10 },
          { value: "charity", count: 9 },
          { value: "council", count: 8 },
        ]);
        expect(r.facets!.cost).toEqual([
          { value: "free", count: 24 },
          { value: "paid", count: 3 },
        ]);
        expect(r.facets!.localAuthorities).toEqual([
          { value: NORFOLK, count: 11 },
          { value: BRISTOL, count: 9 },
          { value: NEWPORT, count: 7 },
        ]);
        expect(r.facets).toEqual(reference(FIXTURE, { limit: 0, offset: 0 }).facets);
      });

      it("counts facets under filters and text", async () => {
        const filter: SearchFilter = {
          needs: ["MENTAL_HEALTH", "PHYSICAL_HEALTH"],
          localAuthorities: [NEWPORT, BRISTOL],
        };
        expect((await search({ filter, facets: true })).facets).toEqual(
          reference(FIXTURE, { filter, limit: 0, offset: 0 }).facets,
        );
        const text = await search({ query: "bereavement", facets: true });
        expect(text.facets!.partner).toEqual([
          { value: "charity", count: 1 },
          { value: "health", count: 1 },
        ]);
        expect(text.facets!.needs).toEqual([
          { value: "BEREAVEMENT", count: 2 },
          { value: "MENTAL_HEALTH", count: 1 },
        ]);
      });

      it("is null unless asked for", async () => {
        expect((await search({})).facets).toBeNull();
      });
    });

    describe("distance", () => {
      const near = { ...NORWICH, radiusKm: 10 };

      it("keeps services inside the radius, nearest first, with distances", async () => {
        const r = await search({ near, sort: "DISTANCE" });
        const want = reference(FIXTURE, { near, sort: "DISTANCE", limit: 50, offset: 0 });
        expect(r.hits.map((h) => h.id)).toEqual(want.ids);
        expect(want.ids).toHaveLength(9);
        expect(want.ids).not.toContain("charity:h03"); // Great Yarmouth, ~30 km
        r.hits.forEach((h, i) => expect(h.distanceKm).toBeCloseTo(want.distances[i]!, 2));
        expect(r.hits[0]!.id).toBe("health:n01");
        expect(r.hits[0]!.distanceKm!).toBeLessThan(0.3);
      });

      it("orders by distance by default when there is no query", async () => {
        expect(await ids({ near })).toEqual(
          reference(FIXTURE, { near, sort: "DISTANCE", limit: 50, offset: 0 }).ids,
        );
      });

      it("combines radius with text and other sorts", async () => {
        const r = await search({
          query: "support",
          near: { ...NORWICH, radiusKm: 5 },
          sort: "NAME",
        });
        for (const h of r.hits) expect(h.distanceKm).not.toBeNull();
        expect(r.hits.map((h) => h.id)).toEqual(
          expect.arrayContaining(["charity:h01", "council:c01"]),
        );
        expect(r.hits.map((h) => h.id)).not.toContain("charity:h03");
        expect((await search({ sort: "NAME" })).hits[0]!.distanceKm).toBeNull();
      });
    });

    describe("sorting and pages", () => {
      it("sorts by name, wait and contract end with unknowns last and ids breaking ties", async () => {
        for (const sort of ["NAME", "WAIT", "CONTRACT_END"] as const) {
          expect(await ids({ sort }), sort).toEqual(
            reference(FIXTURE, { sort, limit: 50, offset: 0 }).ids,
          );
        }
      });

      it("pages with offset and limit, stably, with the same total", async () => {
        for (const sort of ["NAME", "WAIT"] as const) {
          const all = (await search({ sort })).hits.map((h) => h.id);
          const pages: string[] = [];
          for (let offset = 0; offset < 27; offset += 4) {
            const r = await search({ sort, offset, limit: 4 });
            expect(r.totalCount).toBe(27);
            pages.push(...r.hits.map((h) => h.id));
          }
          expect(pages).toEqual(all);
        }
        const odd = await search({ sort: "NAME", offset: 3, limit: 5 });
        expect(odd.hits.map((h) => h.id)).toEqual(
          reference(FIXTURE, { sort: "NAME", limit: 50, offset: 0 }).ids.slice(3, 8),
        );
        expect((await search({ offset: 40, limit: 5 })).hits).toEqual([]);
        const none = await search({ limit: 0 });
        expect(none.hits).toEqual([]);
        expect(none.totalCount).toBe(27);
      });

      it("pages text results stably", async () => {
        const all = (await search({ query: "support" })).hits.map((h) => h.id);
        expect(all.length).toBeGreaterThan(5);
        const paged = [
          ...(await search({ query: "support", limit: 3 })).hits,
          ...(await search({ query: "support", offset: 3, limit: 50 })).hits,
        ];
        expect(paged.map((h) => h.id)).toEqual(all);
      });
    });

    describe("hostile input", () => {
      it("treats hostile query text as words, never as syntax", async () => {
        for (const q of HOSTILE) {
          const r = await search({ query: q, filter: { partners: ["health"] }, facets: true });
          for (const h of r.hits)
            expect(h.id.startsWith("health:"), JSON.stringify(q.slice(0, 40))).toBe(true);
          for (const h of r.hits)
            if (h.highlight) expect(h.highlight.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
          expect(r.totalCount).toBeLessThanOrEqual(10);
        }
      });

      it("treats hostile filter values as unknown values, never widening a filter", async () => {
        const lists = [
          "needs",
          "localAuthorities",
          "partners",
          "referralRoutes",
          "languages",
          "deliveryModes",
          "statuses",
        ] as const;
        const valid: Record<(typeof lists)[number], string> = {
          needs: "AUTISM",
          localAuthorities: NEWPORT,
          partners: "charity",
          referralRoutes: "GP",
          languages: "cy",
          deliveryModes: "ONLINE",
          statuses: "ACTIVE",
        };
        for (const s of HOSTILE) {
          for (const field of lists) {
            const label = `${field}: ${JSON.stringify(s.slice(0, 40))}`;
            const want = reference(FIXTURE, {
              filter: { [field]: [valid[field]] },
              sort: "NAME",
              limit: 50,
              offset: 0,
            }).ids;
            const r = await search({ filter: { [field]: [valid[field], s] }, sort: "NAME" });
            expect(
              r.hits.map((h) => h.id),
              label,
            ).toEqual(want);
            // A list of only unknown values matches nothing (it does not fall back to "no filter").
            expect((await search({ filter: { [field]: [s] } })).totalCount, label).toBe(0);
          }
          expect(await ids({ filter: { ids: [s, "health:n01"] } })).toEqual(["health:n01"]);
          expect(await ids({ filter: { openAt: { day: s } } })).toEqual([]);
          if (s !== "")
            expect(await ids({ filter: { openAt: { day: "MO", time: s } } })).toEqual([]);
          expect(await backend.idsByPartner(s)).toEqual([]);
          expect(await backend.get([s])).toEqual([null]);
        }
      });
    });

    describe("writes", () => {
      it("upsert replaces a document", async () => {
        const changed = {
          ...fixtureDoc("council:c06"),
          name: "School Attendance Champions",
          needs: ["EDUCATION", "BEREAVEMENT"],
        };
        await backend.upsert([changed]);
        expect(await backend.count()).toBe(30);
        expect(await ids({ query: "champions" })).toEqual(["council:c06"]);
        expect(await ids({ query: "attendance support" })).not.toContain("council:c06");
        expect(await ids({ filter: { needs: ["BEREAVEMENT"] } })).toContain("council:c06");
        expect((await backend.get(["council:c06"]))[0]!.name).toBe("School Attendance Champions");
        await backend.upsert([fixtureDoc("council:c06")]);
        expect(await ids({ query: "champions" })).toEqual([]);
      });

      it("remove removes documents and ignores unknown ids", async () => {
        await backend.remove(["charity:h05", "nope:1"]);
        expect(await backend.count()).toBe(29);
        expect(await backend.get(["charity:h05"])).toEqual([null]);
        expect(await ids({ query: "food vouchers" })).toEqual([]);
        expect(await backend.idsByPartner("charity")).not.toContain("charity:h05");
        await backend.upsert([fixtureDoc("charity:h05")]);
        expect(await ids({ query: "food vouchers" })).toEqual(["charity:h05"]);
      });

      it("clear empties the index", async () => {
        await backend.clear();
        expect(await backend.count()).toBe(0);
        expect((await search({})).totalCount).toBe(0);
        await backend.upsert(FIXTURE);
        expect(await backend.count()).toBe(30);
      });
    });
  });
}

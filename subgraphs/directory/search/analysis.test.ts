import { describe, expect, it } from "vitest";
import {
  analyseQuery,
  damerauWithin,
  escapeHtml,
  expansionTerms,
  highlightText,
  meiliSynonyms,
  pluralVariants,
  sentinelsToHtml,
  tokenize,
  typoBudget,
} from "./analysis.ts";
import { effectiveSort, normaliseRequest } from "./request.ts";

describe("tokenize", () => {
  it("folds case and accents, splits on punctuation and zero-width characters, drops stop words", () => {
    expect(tokenize("Café-au-lait for the CHILDREN's ca\u200Bmhs")).toEqual([
      "cafe",
      "au",
      "lait",
      "children",
      "ca",
      "mhs",
    ]);
    expect(tokenize("Gwasanaeth ŵyr")).toEqual(["gwasanaeth", "wyr"]);
    expect(tokenize("<script>\"'")).toEqual(["script"]);
  });
});

describe("analyseQuery", () => {
  it("rewrites acronym phrases to the acronym and keeps the other words", () => {
    expect(analyseQuery("Child and Adolescent Mental Health services in Norwich").tokens).toEqual([
      "camhs",
      "norwich",
    ]);
    expect(analyseQuery("speech and language therapy").tokens).toEqual(["salt"]);
  });

  it("keeps words worth highlighting, including what an acronym stands for", () => {
    const q = analyseQuery("camhs");
    expect(q.tokens).toEqual(["camhs"]);
    expect(q.highlightWords).toEqual(
      expect.arrayContaining(["camhs", "adolescent", "mental", "health"]),
    );
  });

  it("caps long input", () => {
    expect(analyseQuery("word ".repeat(5000)).tokens).toEqual(["word"]);
    expect(
      analyseQuery(Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ")).tokens,
    ).toHaveLength(10);
    expect(analyseQuery("x".repeat(10_000)).tokens).toEqual([]);
    expect(analyseQuery("the and of").tokens).toEqual([]);
  });
});

describe("damerauWithin", () => {
  it("counts an adjacent transposition as one edit", () => {
    expect(damerauWithin("cahms", "camhs", 1)).toBe(1);
    expect(damerauWithin("bereavment", "bereavement", 2)).toBe(1);
    expect(damerauWithin("speach", "speech", 1)).toBe(1);
    expect(damerauWithin("kitten", "sitting", 3)).toBe(3);
  });

  it("gives up past the bound", () => {
    expect(damerauWithin("camhs", "school", 1)).toBe(2);
    expect(damerauWithin("abc", "abcdef", 1)).toBe(2);
  });

  it("allows typos like Meilisearch: none under 5 letters, 2 from 9", () => {
    expect([typoBudget("salt"), typoBudget("cahms"), typoBudget("bereavment")]).toEqual([0, 1, 2]);
  });

  it("offers plural and singular forms", () => {
    expect(pluralVariants("groups")).toEqual(["group"]);
    expect(pluralVariants("family")).toEqual(["familys", "families"]);
    expect(pluralVariants("activities")).toEqual(["activity"]);
    expect(pluralVariants("class")).toEqual(["classs"]);
  });
});

describe("expansionTerms", () => {
  it("adds need labels and synonyms, and the other form of any acronym mentioned", () => {
    const terms = expansionTerms({
      name: "Clinic",
      organizationName: "",
      description: "Referral to CAMHS and speech and language therapy",
      needs: ["BEREAVEMENT"],
    });
    expect(terms).toContain("Bereavement and loss");
    expect(terms).toContain("grief");
    expect(terms).toContain("child adolescent mental health");
    expect(terms.split(" ")).toContain("salt");
  });
});

describe("meiliSynonyms", () => {
  it("lists acronyms and phrases both ways", () => {
    const syn = meiliSynonyms();
    expect(syn.camhs).toContain("child and adolescent mental health");
    expect(syn["child and adolescent mental health"]).toContain("camhs");
    expect(syn.grief).toContain("bereavement and loss");
  });
});

describe("highlighting", () => {
  it("marks matched words and escapes everything else", () => {
    const h = highlightText(
      'Fish & <b>chips</b> "counselling" for teens',
      new Set(["counselling", "b"]),
    );
    expect(h).toBe(
      "Fish &amp; &lt;<mark>b</mark>&gt;chips&lt;/<mark>b</mark>&gt; &quot;<mark>counselling</mark>&quot; for teens",
    );
  });

  it("cuts a snippet around the first match in long text", () => {
    const text = `${"lorem ipsum ".repeat(40)}bereavement support ${"dolor sit ".repeat(40)}`;
    const h = highlightText(text, new Set(["bereavement"]))!;
    expect(h.startsWith("…")).toBe(true);
    expect(h.endsWith("…")).toBe(true);
    expect(h).toContain("<mark>bereavement</mark>");
    expect(h.length).toBeLessThan(260);
  });

  it("returns null without a match, and turns sentinel marks into tags only after escaping", () => {
    expect(highlightText("nothing here", new Set(["camhs"]))).toBeNull();
    expect(sentinelsToHtml("<i>\uE000x\uE001</i>")).toBe("&lt;i&gt;<mark>x</mark>&lt;/i&gt;");
    expect(escapeHtml(`<>&"'`)).toBe("&lt;&gt;&amp;&quot;&#39;");
  });
});

describe("normaliseRequest", () => {
  it("defaults statuses to ACTIVE, treats [] as no constraint and unknown-only lists as impossible", () => {
    const base = { limit: 10, offset: 0 };
    expect(normaliseRequest(base).filter.statuses).toEqual(["ACTIVE"]);
    expect(normaliseRequest({ ...base, filter: { statuses: [] } }).filter.statuses).toBeNull();
    expect(normaliseRequest({ ...base, filter: { needs: [] } }).filter.needs).toBeNull();
    expect(normaliseRequest({ ...base, filter: { needs: ["nope"] } }).filter.impossible).toBe(true);
    expect(
      normaliseRequest({ ...base, filter: { needs: ["autism", "nope"] } }).filter,
    ).toMatchObject({ needs: ["AUTISM"], impossible: false });
    expect(normaliseRequest({ ...base, filter: { ids: [] } }).filter.impossible).toBe(true);
    expect(
      normaliseRequest({ ...base, filter: { languages: ["CY", "x y"] } }).filter.languages,
    ).toEqual(["cy"]);
    expect(
      normaliseRequest({
        ...base,
        filter: { localAuthorities: ["w06000021", "E1000002", '" OR 1'] },
      }).filter.localAuthorities,
    ).toEqual(["W06000021"]);
  });

  it("clamps the page size and picks the effective sort", () => {
    expect(normaliseRequest({ limit: 1000, offset: 0 }).limit).toBe(100);
    expect(effectiveSort("RELEVANCE", false, false)).toBe("NAME");
    expect(effectiveSort(undefined, false, true)).toBe("DISTANCE");
    expect(effectiveSort("DISTANCE", true, false)).toBe("NAME");
    expect(effectiveSort("RELEVANCE", true, true)).toBe("RELEVANCE");
    expect(normaliseRequest({ query: "the", limit: 5, offset: 0 }).sort).toBe("NAME");
  });
});

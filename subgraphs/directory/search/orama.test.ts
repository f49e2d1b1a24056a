import { create, insert, search } from "@orama/orama";
import { describe, expect, it } from "vitest";
import { searchContract } from "./contract.ts";
import { createEmbeddedBackend } from "./embedded.ts";
import { FIXTURE, NORWICH, fixtureDoc } from "./fixture.ts";
import { OramaIndex, createOramaBackend } from "./orama.ts";
import { SearchRequestError } from "./request.ts";
import { syntheticDocs } from "./synthetic.ts";
import { SearchBackendError, type SearchBackend, type SearchRequest } from "./types.ts";

searchContract("orama", async () => createOramaBackend());

// The same request mix as bench.ts, plus sorts and pages, on synthetic data.
const MIX: SearchRequest[] = [
  { limit: 20, offset: 0, facets: true },
  {
    filter: { localAuthorities: ["E10000020"], needs: ["BEREAVEMENT"], age: 9 },
    limit: 20,
    offset: 0,
    facets: true,
  },
  { query: "support", limit: 20, offset: 0, facets: true },
  { query: "family support", limit: 20, offset: 0, facets: true },
  { query: "bereavment", limit: 20, offset: 0, facets: true },
  { query: "CAHMS", limit: 20, offset: 0, facets: true },
  { query: "child and adolescent mental health", limit: 20, offset: 0, facets: true },
  { query: "counsel", limit: 20, offset: 0 },
  {
    query: "speach therapy",
    filter: { age: 4, freeOnly: true, deliveryModes: ["IN_PERSON"] },
    limit: 20,
    offset: 0,
    facets: true,
  },
  { near: { ...NORWICH, radiusKm: 5 }, sort: "DISTANCE", limit: 20, offset: 0, facets: true },
  { query: "camhs", near: { ...NORWICH, radiusKm: 10 }, limit: 20, offset: 0, facets: true },
  {
    filter: { openAt: { day: "MO", time: "09:30" }, needs: ["PARENTING", "FAMILY_STRESS"] },
    limit: 20,
    offset: 0,
    facets: true,
  },
  { filter: { partners: ["charity"] }, sort: "NAME", limit: 20, offset: 100 },
  {
    filter: { acceptingReferrals: true, needs: ["AUTISM"] },
    sort: "WAIT",
    limit: 20,
    offset: 0,
    facets: true,
  },
  {
    filter: { needs: ["AUTISM", "ADHD"], needsMatch: "ALL", referralRoutes: ["GP"] },
    sort: "CONTRACT_END",
    limit: 50,
    offset: 0,
    facets: true,
  },
  {
    query: "swimming club",
    filter: { languages: ["cy", "pl"], statuses: [] },
    sort: "NAME",
    limit: 50,
    offset: 0,
    facets: true,
  },
  { query: "yoga", near: { ...NORWICH, radiusKm: 40 }, sort: "WAIT", limit: 50, offset: 0 },
];

describe("orama backend", () => {
  it("answers like the embedded index on 1,500 synthetic services", async () => {
    const docs = syntheticDocs(1500, 7);
    const orama = createOramaBackend();
    const embedded = createEmbeddedBackend();
    await orama.upsert(docs);
    await embedded.upsert(docs);
    // Replace and remove some, so both indexes have been through writes.
    const changed = docs
      .slice(0, 50)
      .map((d) => ({ ...d, description: `${d.description} kayaking`, location: null }));
    await orama.upsert(changed);
    await embedded.upsert(changed);
    const gone = docs.slice(50, 100).map((d) => d.id);
    await orama.remove(gone);
    await embedded.remove(gone);
    expect(await orama.count()).toBe(1450);

    for (const req of MIX) {
      const label = JSON.stringify(req);
      const want = await embedded.search({ ...req, limit: 100, offset: 0 });
      const got = await orama.search({ ...req, limit: 100, offset: 0 });
      expect(got.totalCount, label).toBe(want.totalCount);
      expect(got.facets, label).toEqual(want.facets);
      if (req.query === undefined || req.sort !== undefined) {
        // A defined order: the same ids in the same order, the same distances.
        expect(
          got.hits.map((h) => [h.id, h.distanceKm]),
          label,
        ).toEqual(want.hits.map((h) => [h.id, h.distanceKm]));
      } else if (want.totalCount <= 100) {
        // Relevance: both score by BM25 but weigh differently; the same set must match.
        expect(got.hits.map((h) => h.id).sort(), label).toEqual(want.hits.map((h) => h.id).sort());
      }
      const page = await orama.search(req);
      expect(page.totalCount, label).toBe(want.totalCount);
      if (req.query === undefined || req.sort !== undefined)
        expect(
          page.hits.map((h) => h.id),
          label,
        ).toEqual((await embedded.search(req)).hits.map((h) => h.id));
    }
  });

  it("matches query words spread over different fields, which Orama's threshold 0 does not", async () => {
    const backend = createOramaBackend();
    await backend.upsert([
      { ...fixtureDoc("charity:h07"), name: "Quokka Club", description: "Weekly zither lessons." },
    ]);
    expect((await backend.search({ query: "quokka zither", limit: 5, offset: 0 })).totalCount).toBe(
      1,
    );
    // Why `where` does the matching (see orama.ts): stock Orama wants every word in one property.
    const db = create({ schema: { name: "string", description: "string" } as const });
    insert(db, { id: "x", name: "Quokka Club", description: "Weekly zither lessons." });
    const stock = await search(db, { term: "quokka zither", threshold: 0 });
    expect(stock.count).toBe(0);
  });

  it("forgets words and positions of removed and replaced services", async () => {
    const backend = createOramaBackend();
    await backend.upsert(FIXTURE);
    const near = { ...NORWICH, radiusKm: 10 };
    const before = await backend.search({ near, limit: 50, offset: 0 });
    expect(before.hits[0]!.id).toBe("health:n01");
    await backend.upsert([
      { ...fixtureDoc("health:n01"), location: null, name: "Zebrafinch Clinic" },
    ]);
    const after = await backend.search({ near, limit: 50, offset: 0 });
    expect(after.totalCount).toBe(before.totalCount - 1);
    expect(after.hits.map((h) => h.id)).not.toContain("health:n01");
    // The new word is found, with a typo too; the old name is gone from the vocabulary.
    expect(
      (await backend.search({ query: "zebrafnch", limit: 5, offset: 0 })).hits.map((h) => h.id),
    ).toEqual(["health:n01"]);
    await backend.remove(["health:n01"]);
    expect((await backend.search({ query: "zebrafinch", limit: 5, offset: 0 })).totalCount).toBe(0);
    await backend.upsert([fixtureDoc("health:n01")]);
    expect((await backend.search({ near, limit: 50, offset: 0 })).hits.map((h) => h.id)).toEqual(
      before.hits.map((h) => h.id),
    );
    expect((await backend.search({ query: "CAHMS", limit: 5, offset: 0 })).hits[0]!.id).toBe(
      "health:n01",
    );
  });

  it("keeps radius search right through many removals (works around Orama's geo-tree removal)", async () => {
    const docs = syntheticDocs(1500, 11);
    const index = new OramaIndex();
    const embedded = createEmbeddedBackend();
    index.upsert(docs);
    await embedded.upsert(docs);
    const geo = () =>
      (index.orama.data.index as unknown as { indexes: { geo: { node: unknown } } }).indexes.geo
        .node;
    const tree = geo();
    const gone = docs.slice(0, 1200).map((d) => d.id);
    index.remove(gone.slice(0, 200));
    await embedded.remove(gone.slice(0, 200));
    expect(geo()).toBe(tree); // a few removals: emptied points stay in the tree
    const check = async () => {
      for (const near of [
        { ...NORWICH, radiusKm: 15 },
        { lat: 51.46, lng: -2.58, radiusKm: 25 },
      ]) {
        const req: SearchRequest = { near, sort: "DISTANCE", limit: 100, offset: 0, facets: true };
        const want = await embedded.search(req);
        const got = index.search(req);
        expect(want.totalCount).toBeGreaterThan(0);
        expect(got.totalCount).toBe(want.totalCount);
        expect(got.hits.map((h) => [h.id, h.distanceKm])).toEqual(
          want.hits.map((h) => [h.id, h.distanceKm]),
        );
        expect(got.facets).toEqual(want.facets);
      }
    };
    await check();
    index.remove(gone.slice(200));
    await embedded.remove(gone.slice(200));
    expect(geo()).not.toBe(tree); // many: the tree was rebuilt from the live points
    await check();
    index.upsert(docs.slice(0, 1200));
    await embedded.upsert(docs.slice(0, 1200));
    await check();
  });

  it("does not let Orama keep an internal id for every unknown id it is asked about", async () => {
    const index = new OramaIndex();
    index.upsert(FIXTURE);
    const ids = () => index.orama.internalDocumentIDStore.idToInternalId.size;
    const before = ids();
    expect(index.get(["nope:1", "x".repeat(10_000)])).toEqual([null, null]);
    index.remove(["nope:2"]);
    index.search({ filter: { ids: ["nope:3"] }, limit: 5, offset: 0 });
    expect(ids()).toBe(before);
  });

  it("replaces duplicates within one upsert with the last copy", async () => {
    const backend = createOramaBackend();
    await backend.upsert([FIXTURE[0]!, { ...FIXTURE[0]!, name: "Renamed Hub" }]);
    expect(await backend.count()).toBe(1);
    expect((await backend.get([FIXTURE[0]!.id]))[0]!.name).toBe("Renamed Hub");
    expect((await backend.search({ query: "renamed", limit: 5, offset: 0 })).totalCount).toBe(1);
  });

  it("hands out copies, so callers cannot change the index by accident", async () => {
    const backend = createOramaBackend();
    await backend.upsert([FIXTURE[0]!]);
    const [doc] = await backend.get([FIXTURE[0]!.id]);
    doc!.needs.push("HOUSING");
    expect(
      (await backend.search({ limit: 5, offset: 0, filter: { needs: ["HOUSING"] } })).totalCount,
    ).toBe(0);
  });

  it("rejects numbers a client could fix, and refuses work once closed", async () => {
    const backend = createOramaBackend();
    expect(backend.name).toBe("orama");
    await expect(
      backend.search({ limit: 10, offset: 0, filter: { age: Number.NaN } }),
    ).rejects.toBeInstanceOf(SearchRequestError);
    await expect(backend.search({ limit: 10, offset: 9_995 })).rejects.toBeInstanceOf(
      SearchRequestError,
    );
    await backend.close();
    await expect(backend.count()).rejects.toBeInstanceOf(SearchBackendError);
  });
});

// Latency, bench.ts-style, side by side with the embedded index (not a test; skipped unless asked).
// ORAMA_BENCH lists sizes, each with its timed runs per query (default 100):
// ORAMA_BENCH=10000:100,100000:20 NODE_OPTIONS="--max-old-space-size=8192 --expose-gc" \
//   npx vitest run subgraphs/directory/search/orama.test.ts -t latency
const BENCH = (process.env.ORAMA_BENCH ?? "")
  .split(",")
  .filter(Boolean)
  .map((s) => s.split(":").map(Number) as [number, number?]);
describe.runIf(BENCH.length > 0)("latency (ORAMA_BENCH)", () => {
  const BENCH_NEAR = { lat: 52.6309, lng: 1.2974 };
  // bench.ts's query mix, verbatim.
  const queries: [string, SearchRequest][] = [
    ["browse (status default), facets", { limit: 20, offset: 0, facets: true }],
    [
      "LA + need + age, facets",
      {
        filter: { localAuthorities: ["E10000020"], needs: ["BEREAVEMENT"], age: 9 },
        limit: 20,
        offset: 0,
        facets: true,
      },
    ],
    ["common word", { query: "support", limit: 20, offset: 0, facets: true }],
    ["two common words", { query: "family support", limit: 20, offset: 0, facets: true }],
    ["typo 'bereavment'", { query: "bereavment", limit: 20, offset: 0, facets: true }],
    ["transposition 'CAHMS'", { query: "CAHMS", limit: 20, offset: 0, facets: true }],
    [
      "phrase → acronym",
      { query: "child and adolescent mental health", limit: 20, offset: 0, facets: true },
    ],
    ["prefix 'counsel'", { query: "counsel", limit: 20, offset: 0 }],
    [
      "text + filters",
      {
        query: "speach therapy",
        filter: { age: 4, freeOnly: true, deliveryModes: ["IN_PERSON"] },
        limit: 20,
        offset: 0,
        facets: true,
      },
    ],
    [
      "near 5 km by distance",
      {
        near: { ...BENCH_NEAR, radiusKm: 5 },
        sort: "DISTANCE",
        limit: 20,
        offset: 0,
        facets: true,
      },
    ],
    [
      "text near 10 km",
      { query: "camhs", near: { ...BENCH_NEAR, radiusKm: 10 }, limit: 20, offset: 0, facets: true },
    ],
    [
      "openAt MO 09:30 + need",
      {
        filter: { openAt: { day: "MO", time: "09:30" }, needs: ["PARENTING", "FAMILY_STRESS"] },
        limit: 20,
        offset: 0,
        facets: true,
      },
    ],
    [
      "sort NAME, page 50",
      { filter: { partners: ["charity"] }, sort: "NAME", limit: 20, offset: 1000 },
    ],
    [
      "sort WAIT + accepting",
      {
        filter: { acceptingReferrals: true, needs: ["AUTISM"] },
        sort: "WAIT",
        limit: 20,
        offset: 0,
        facets: true,
      },
    ],
  ];
  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const ms = (n: number) => n.toFixed(1);

  for (const [n, RUNS = 100] of BENCH) {
    // bench.ts warms up with 20 runs per query; fewer when the timed runs are few (slow sizes).
    const WARM_UP = Math.max(3, Math.min(20, Math.round(RUNS / 5)));
    it(`${n} services: orama vs embedded`, { timeout: 4 * 3600_000 }, async () => {
      const docs = syntheticDocs(n);
      const words = [
        ...new Set(docs.slice(0, 2000).flatMap((d) => d.description.split(" "))),
      ].filter((w) => w.length >= 6 && !/\d/.test(w));
      const rows: string[] = [];
      for (const [name, make] of [
        ["embedded", () => createEmbeddedBackend({ initialCapacity: n })],
        ["orama", () => createOramaBackend()],
      ] as [string, () => SearchBackend][]) {
        globalThis.gc?.();
        const heap0 = process.memoryUsage().heapUsed;
        const backend = make();
        const t = performance.now();
        for (let i = 0; i < docs.length; i += 5000) await backend.upsert(docs.slice(i, i + 5000));
        const insertMs = performance.now() - t;
        globalThis.gc?.();
        const heap = (process.memoryUsage().heapUsed - heap0) / 1e6;
        rows.push(
          `| ${n.toLocaleString("en-GB")} | ${name} | load ${n} docs: ${(insertMs / 1000).toFixed(1)} s, heap +${heap.toFixed(0)} MB | | | | | |`,
        );
        for (const [, q] of queries) for (let i = 0; i < WARM_UP; i++) await backend.search(q);
        const time = async (
          label: string,
          run: (i: number) => Promise<{ totalCount: number } | void>,
        ) => {
          const times: number[] = [];
          let total: number | string = "";
          for (let i = 0; i < RUNS; i++) {
            const s = performance.now();
            const r = await run(i);
            times.push(performance.now() - s);
            if (r) total = r.totalCount;
          }
          times.sort((a, b) => a - b);
          rows.push(
            `| ${n.toLocaleString("en-GB")} | ${name} | ${label} | ${total} | ${ms(pct(times, 50))} | ${ms(pct(times, 95))} | ${ms(pct(times, 99))} | ${ms(times.at(-1)!)} |`,
          );
          return times;
        };
        const all: number[] = [];
        for (const [label, q] of queries) all.push(...(await time(label, () => backend.search(q))));
        all.push(
          ...(await time("cold typo (unique misspelling)", (i) => {
            const w = words[i % words.length]!;
            const p = 1 + (i % (w.length - 2));
            const typo =
              w.slice(0, p) + w[p + 1] + w[p] + w.slice(p + 2) + (i >= words.length ? "x" : "");
            return backend.search({ query: `${typo} support`, limit: 20, offset: 0, facets: true });
          })),
        );
        all.push(
          ...(await time("upsert 1 new doc, then query", async (i) => {
            await backend.upsert([
              {
                ...docs[i]!,
                id: `bench:${i}`,
                description: `${docs[i]!.description} neologism${i}`,
              },
            ]);
            return backend.search({ query: "family support", limit: 20, offset: 0, facets: true });
          })),
        );
        all.sort((a, b) => a - b);
        rows.push(
          `| ${n.toLocaleString("en-GB")} | ${name} | **all of the above** | | **${ms(pct(all, 50))}** | **${ms(pct(all, 95))}** | **${ms(pct(all, 99))}** | **${ms(all.at(-1)!)}** |`,
        );
        await backend.close();
        console.log(rows.splice(0).join("\n"));
      }
    });
  }
});

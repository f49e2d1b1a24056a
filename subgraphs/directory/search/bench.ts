// Latency check for the embedded backend (not a test): `npx tsx subgraphs/directory/search/bench.ts
// [docs=100000] [runs=200]`. Loads synthetic documents, warms up, then times a mix of typical
// queries and prints p50/p95/p99/max per query and overall. With `--orama` it also times the same
// filters through stock Orama for comparison (slow: minutes). It ends with routeChild's engine
// over the same index (the gateway path is in `npm run bench -- route`).
import { createEmbeddedBackend } from "./embedded.ts";
import { routeChild, type ChildProfile } from "../route/route.engine.ts";
import { syntheticDocs } from "./synthetic.ts";
import type { SearchRequest } from "./types.ts";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const N = Number(args[0] ?? 100_000);
const RUNS = Number(args[1] ?? 200);

const NORWICH = { lat: 52.6309, lng: 1.2974 };
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
    { near: { ...NORWICH, radiusKm: 5 }, sort: "DISTANCE", limit: 20, offset: 0, facets: true },
  ],
  [
    "text near 10 km",
    { query: "camhs", near: { ...NORWICH, radiusKm: 10 }, limit: 20, offset: 0, facets: true },
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

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const fmt = (n: number) => n.toFixed(2).padStart(7);

const docs = syntheticDocs(N);
const backend = createEmbeddedBackend({ initialCapacity: N });
const mem0 = process.memoryUsage().heapUsed;
let t = performance.now();
for (let i = 0; i < docs.length; i += 5000) await backend.upsert(docs.slice(i, i + 5000));
const insertMs = performance.now() - t;
globalThis.gc?.();
console.log(
  `${N} docs upserted in ${insertMs.toFixed(0)} ms; heap +${((process.memoryUsage().heapUsed - mem0) / 1e6).toFixed(0)} MB`,
);

t = performance.now();
await backend.search({ query: "support", limit: 1, offset: 0 });
console.log(`first query (builds the sorted vocabulary): ${(performance.now() - t).toFixed(1)} ms`);

for (const [, q] of queries) for (let i = 0; i < 20; i++) await backend.search(q); // warm-up

const all: number[] = [];
console.log(
  `\n${"query".padEnd(34)} ${"hits".padStart(7)}    p50     p95     p99     max  (ms, ${RUNS} runs)`,
);
for (const [label, q] of queries) {
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    const r = await backend.search(q);
    times.push(performance.now() - s);
    total = r.totalCount;
  }
  all.push(...times);
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} ${String(total).padStart(7)} ${fmt(pct(times, 50))} ${fmt(pct(times, 95))} ${fmt(pct(times, 99))} ${fmt(times.at(-1)!)}`,
  );
}
// Cold paths: a misspelling never seen before (no typo cache), and a query right after a small
// write (new words merged into the sorted vocabulary).
const words = [...new Set(docs.slice(0, 2000).flatMap((d) => d.description.split(" ")))].filter(
  (w) => w.length >= 6 && !/\d/.test(w),
);
const cold: [string, (i: number) => Promise<unknown>][] = [
  [
    "cold typo (unique misspelling)",
    async (i) => {
      const w = words[i % words.length]!;
      const p = 1 + (i % (w.length - 2));
      const typo =
        w.slice(0, p) + w[p + 1] + w[p] + w.slice(p + 2) + (i >= words.length ? "x" : "");
      return backend.search({ query: `${typo} support`, limit: 20, offset: 0, facets: true });
    },
  ],
  [
    "upsert 1 new doc, then query",
    async (i) => {
      await backend.upsert([
        { ...docs[i]!, id: `bench:${i}`, description: `${docs[i]!.description} neologism${i}` },
      ]);
      return backend.search({ query: "family support", limit: 20, offset: 0, facets: true });
    },
  ],
];
for (const [label, run] of cold) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    await run(i);
    times.push(performance.now() - s);
  }
  all.push(...times);
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} ${"".padStart(7)} ${fmt(pct(times, 50))} ${fmt(pct(times, 95))} ${fmt(pct(times, 99))} ${fmt(times.at(-1)!)}`,
  );
}

// routeChild's engine on the same index: 4 needs, every condition a filter (language, referral
// route, travel, wait, contract); the last profile finds nothing in its language, so each need
// takes the gap path (counts per condition, samples, offered languages).
const ROUTE_PROFILES: ChildProfile[] = [
  {
    age: 9,
    needs: ["MENTAL_HEALTH", "YOUNG_CARERS", "FAMILY_STRESS", "ADHD"],
    localAuthority: "E07000148",
    location: { lat: 52.6292, lng: 1.28 },
    languages: ["pl"],
    referral: "PROFESSIONAL_REFERRAL",
    maxTravelKm: null,
    urgency: "ROUTINE",
    senProvision: "NONE",
    today: "2026-12-01",
  },
  {
    age: 14,
    needs: ["SAFEGUARDING", "MENTAL_HEALTH", "LEARNING_DIFFICULTY", "EDUCATION"],
    localAuthority: "W06000022",
    location: { lat: 51.5836, lng: -3.0105 },
    languages: [],
    referral: "SELF_REFERRAL",
    maxTravelKm: 10,
    urgency: "SOON",
    senProvision: "NONE",
    today: "2026-12-01",
  },
  {
    age: 4,
    needs: ["SPEECH_LANGUAGE", "AUTISM", "PARENTING", "FINANCIAL_HARDSHIP"],
    localAuthority: "E06000023",
    location: null,
    languages: [],
    referral: "PROFESSIONAL_REFERRAL",
    maxTravelKm: null,
    urgency: "URGENT",
    senProvision: "NONE",
    today: "2026-12-01",
  },
  {
    age: 16,
    needs: ["SUBSTANCE_MISUSE", "YOUTH_JUSTICE", "HOUSING", "MENTAL_HEALTH"],
    localAuthority: "E06000023",
    location: { lat: 51.464, lng: -2.556 },
    languages: ["ur"],
    referral: "PROFESSIONAL_REFERRAL",
    maxTravelKm: 10,
    urgency: "ROUTINE",
    senProvision: "NONE",
    today: "2026-12-01",
  },
];
for (const [label, profiles] of [
  ["routeChild engine, 4 needs (4 profiles)", ROUTE_PROFILES],
  ["routeChild engine, 4 needs, all gaps", ROUTE_PROFILES.slice(3)],
] as const) {
  const deps = { backend, isStale: () => false };
  for (let i = 0; i < 20; i++) await routeChild(profiles[i % profiles.length]!, deps);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    await routeChild(profiles[i % profiles.length]!, deps);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} ${"".padStart(7)} ${fmt(pct(times, 50))} ${fmt(pct(times, 95))} ${fmt(pct(times, 99))} ${fmt(times.at(-1)!)}`,
  );
}

all.sort((a, b) => a - b);
console.log(
  `${"ALL".padEnd(34)} ${"".padStart(7)} ${fmt(pct(all, 50))} ${fmt(pct(all, 95))} ${fmt(pct(all, 99))} ${fmt(all.at(-1)!)}`,
);

if (process.argv.includes("--orama")) {
  const { create, insertMultiple, search } = await import("@orama/orama");
  const db = create({
    schema: {
      partner: "enum",
      status: "enum",
      needs: "enum[]",
      localAuthorities: "enum[]",
      minAge: "number",
      maxAge: "number",
      location: "geopoint",
      description: "string",
    } as const,
  });
  t = performance.now();
  await insertMultiple(
    db,
    docs.map((d) => ({
      id: d.id,
      partner: d.partner,
      status: d.status,
      needs: d.needs,
      localAuthorities: d.localAuthorities,
      minAge: d.minAge,
      maxAge: d.maxAge,
      description: d.description,
      ...(d.location ? { location: { lat: d.location.lat, lon: d.location.lng } } : {}),
    })),
    5000,
  );
  console.log(`\nstock Orama: ${N} docs inserted in ${(performance.now() - t).toFixed(0)} ms`);
  const oq: [string, object][] = [
    ["status", { where: { status: { eq: "ACTIVE" } } }],
    [
      "status + LA + need + age",
      {
        where: {
          status: { eq: "ACTIVE" },
          localAuthorities: { containsAny: ["E10000020"] },
          needs: { containsAny: ["BEREAVEMENT"] },
          minAge: { lte: 9 },
          maxAge: { gte: 9 },
        },
      },
    ],
    [
      "status, facets",
      {
        where: { status: { eq: "ACTIVE" } },
        facets: { needs: {}, partner: {}, localAuthorities: {} },
      },
    ],
    [
      "near 5 km",
      {
        where: {
          location: {
            radius: { coordinates: { lat: NORWICH.lat, lon: NORWICH.lng }, value: 5, unit: "km" },
          },
        },
      },
    ],
    ["term 'support'", { term: "support", properties: ["description"] }],
    ["term 'cahms' tolerance 2", { term: "cahms", properties: ["description"], tolerance: 2 }],
  ];
  for (const [label, p] of oq) {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      await search(db, { ...p, limit: 20 } as never);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(`${label.padEnd(34)} p50 ${fmt(pct(times, 50))}  max ${fmt(times.at(-1)!)}`);
  }
}

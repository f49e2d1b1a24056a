// npm run bench [-- search|route|route-load|import|referrals|soak|side-by-side|start|partner|replica-memory] [--sizes 10000,100000] [--runs 300]
// Loads N generated services into the three partners, starts the whole stack, and measures
// searchServices directly against the index and through the gateway, and routeChild with 4 needs:
// its engine alone (the one-pass path, and one search per question for comparison) and through
// the gateway (a query the directory answers alone, and one that also asks partners for fields).
// Besides latencies it reports CPU time per request (process.cpuUsage: robust to other load on the
// machine) and the 1-minute load average. Writes the figures, with this command, to BENCHMARKS.md.
// `route-load` drives routeChild under concurrent load from a separate process (scripts/bench/load.ts)
// and reports plans/s and the stack process's CPU per plan [--connections 8] [--seconds 20].
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { generateDataset } from "./generate/dataset.ts";
import { startStack } from "./stack.ts";
import type { SearchBackend, SearchRequest } from "../subgraphs/directory/search/types.ts";
import { routeChild } from "../subgraphs/directory/route/route.engine.ts";
import { coverage } from "../subgraphs/directory/route/coverage.ts";
import { toChildProfile } from "../subgraphs/directory/route/route.resolver.ts";
import type { ChildProfileInput } from "../subgraphs/directory/route/route.types.ts";
import { createPostcodeResolver } from "../subgraphs/directory/postcodes.ts";
import { configureLogging } from "../platform/log.ts";
import { benchConfig } from "./config.ts";
import { underLoad, type LoadResult } from "./bench/load.ts";
import { writeBenchSection } from "./bench/report.ts";
import { dropSchemas } from "./bench/pg.ts";
import { untilSynced } from "./bench/synced.ts";
// As the web app's plan shows it: each service's name and partner come from the partner that owns it.
import { ROUTE_QUERY, SEARCH_QUERY } from "./bench/soak-mix.ts";

const cfg = benchConfig({ syncIntervalMs: 60_000, rateLimit: false });
configureLogging({ service: "bench", level: cfg.logLevel });

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const part = argv.find((a) => !a.startsWith("--") && !/^\d/.test(a)) ?? "all";
// The soak (10 minutes of mixed traffic with a partner restart) has its own script.
if (part === "soak") await import("./soak.ts");
// Import speed (100,000 services into PGlite and PostgreSQL) has its own script too.
if (part === "import") await import("./bench-import.ts");
// Wayfinder's gateway beside a stock @apollo/gateway on the same subgraphs, under load.
if (part === "side-by-side") await import("./bench-side-by-side.ts");
// Referral creation and inbox latency (issue 13) have their own script too.
if (part === "referrals") await import("./bench-referrals.ts");
// npm start to ready, first run and restart (issue 14).
if (part === "start") await import("./bench-start.ts");
// What the gateway's route replica costs in memory.
if (part === "replica-memory") await import("./bench-replica-memory.ts");
// One partner subgraph alone serving the gateway's _entities fetch (issue 14).
if (part === "partner") await import("./bench-partner.ts");
const sizes = flag("sizes", "10000,100000").split(",").map(Number);
const runs = Number(flag("runs", "300"));
const connections = Number(flag("connections", "8"));
const seconds = Number(flag("seconds", "20"));
const POSTGRES = cfg.postgresUrl;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.at(-1)! };
}
const fmt = (x: number) => x.toFixed(1);

async function pgReachable() {
  const c = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 1500 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const load1 = () => os.loadavg()[0]!;

/**
 * Latencies of n sequential calls after a warm-up, with this process's CPU time per call (user +
 * system; every part of the stack runs in this process) and the load average before and after.
 */
async function time(fn: () => Promise<unknown>, n: number, warmup = 20) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const loadBefore = load1();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    ...stats(samples),
    cpuMs: (cpu.user + cpu.system) / 1000 / n,
    perSecond: (n * 1000) / wall,
    load: [loadBefore, load1()] as const,
  };
}

async function gql(url: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body;
}

const SEARCHES: [string, SearchRequest, Record<string, unknown>][] = [
  [
    "typo query + filters + facets",
    {
      query: "bereavment",
      filter: { localAuthorities: ["E10000020"], age: 9 },
      limit: 20,
      offset: 0,
      facets: true,
    },
    { query: "bereavment", filter: { localAuthorities: ["E10000020"], age: 9 } },
  ],
  [
    "common words",
    { query: "family support", limit: 20, offset: 0, facets: true },
    { query: "family support" },
  ],
  [
    "needs ALL + referral route",
    {
      filter: {
        needs: ["MENTAL_HEALTH", "FAMILY_STRESS"],
        needsMatch: "ALL",
        referralRoutes: ["SELF"],
      },
      limit: 20,
      offset: 0,
      facets: true,
    },
    {
      filter: {
        needs: ["MENTAL_HEALTH", "FAMILY_STRESS"],
        needsMatch: "ALL",
        referralRoutes: ["SELF"],
      },
    },
  ],
  [
    "near postcode, 5 km, by distance",
    {
      near: { lat: 52.6322, lng: 1.2816, radiusKm: 5 },
      sort: "DISTANCE",
      limit: 20,
      offset: 0,
      facets: true,
    },
    { near: { postcode: "NR2 4AB", radiusKm: 5 }, sort: "DISTANCE" },
  ],
  [
    "acronym CAHMS, open Monday 16:00",
    {
      query: "CAHMS",
      filter: { openAt: { day: "MO", time: "16:00" } },
      limit: 20,
      offset: 0,
      facets: true,
    },
    { query: "CAHMS", filter: { openAt: { day: "MO", time: "16:00" } } },
  ],
];

// The same plan answered by the directory alone: names and partners from its own copy.
const ROUTE_QUERY_DIRECTORY = /* GraphQL */ `
  query RouteDirectory($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
          }
          directoryCopy {
            name
            partner
          }
          coversNeeds
          reasons
          distanceKm
          typicalWaitWeeks
        }
        gaps {
          kind
          message
        }
      }
      level {
        level
      }
      leadAgency {
        partner
      }
    }
  }
`;
const PROFILES = [
  // Every routing condition is an index filter: language, referral route, travel, wait, contract.
  {
    age: 9,
    needs: ["MENTAL_HEALTH", "YOUNG_CARERS", "FAMILY_STRESS", "ADHD"],
    postcode: "NR2 4AB",
    languages: ["pl"],
  },
  {
    age: 14,
    needs: ["SAFEGUARDING", "MENTAL_HEALTH", "LEARNING_DIFFICULTY", "EDUCATION"],
    postcode: "NP20 1AA",
    referral: "SELF_REFERRAL",
  },
  {
    age: 4,
    needs: ["SPEECH_LANGUAGE", "AUTISM", "PARENTING", "FINANCIAL_HARDSHIP"],
    localAuthority: "E06000023",
    urgency: "SOON",
  },
  {
    age: 16,
    needs: ["SUBSTANCE_MISUSE", "YOUTH_JUSTICE", "HOUSING", "MENTAL_HEALTH"],
    postcode: "BS5 0AA",
    maxTravelKm: 10,
  },
];

const COVERAGE_AREAS = ["E10000020", "E07000148", "E06000023", "W06000022"];
const COVERAGE_QUERY = /* GraphQL */ `
  query Coverage($area: String!) {
    coverage(area: $area) {
      needs {
        need
        cells {
          ageBand
          total
          gap
          byPartner {
            partner
            count
          }
        }
      }
      gaps
      endingContracts {
        contractEndDate
        withinMonths
        soleProviderFor
        service {
          id
        }
      }
    }
  }
`;

interface Row {
  size: number;
  what: string;
  path: string;
  s: Awaited<ReturnType<typeof time>>;
}

interface LoadRow {
  size: number;
  what: string;
  r: LoadResult;
  /** This process's CPU (gateway, directory, partners; not the client) per answered request. */
  cpuMs: number;
  load: readonly [number, number];
}

/** The same index as a plain backend (no local()): routing asks one search and one fetch per question, as before issue 14. */
function searchOnly(backend: SearchBackend): SearchBackend {
  const { local: _local, ...rest } = backend;
  return rest;
}

async function benchSize(
  size: number,
  usePg: boolean,
): Promise<{ rows: Row[]; loadRows: LoadRow[]; setup: string }> {
  const t0 = performance.now();
  const data = generateDataset({ services: size });
  const urls: string[] = [];
  const dbs = {} as Record<PartnerId, Db>;
  for (const p of PARTNERS) {
    const url = `${POSTGRES}?schema=bench_${p}_${size}_${process.pid}`;
    urls.push(url);
    dbs[p] = await openDb(usePg ? { url } : {});
    await importHsds(dbs[p], data[p]);
  }
  const tImport = performance.now();
  // Sequential requests from one client would trip the per-client rate limit, so the bench config
  // turns it off; latency is measured.
  // A fresh directory state store: one left by an earlier run would restore its copies and cursors.
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "wayfinder-bench-"));
  const stack = await startStack(
    { ...cfg.stack, directory: { ...cfg.stack.directory, stateDir } },
    { dbs },
  );
  const total = PARTNERS.reduce((n, p) => n + data[p].services.length, 0);
  await untilSynced(stack, total);
  // The gateway's route replica answers routeChild once it holds every service too.
  const replica = stack.gateway.routeReplica;
  for (let i = 0; replica && i < 1200; i++) {
    if (replica.ready && (await replica.sync.backend.count()) >= total) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const tReady = performance.now();
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  const rows: Row[] = [];
  const loadRows: LoadRow[] = [];
  try {
    if (part === "route-load") {
      // Many clients at once, from another process: plans/s and the stack's CPU per plan.
      for (const [what, query] of [
        ["routeChild, 4 needs (4 profiles in turn): directory fields only", ROUTE_QUERY_DIRECTORY],
        ["routeChild, 4 needs (4 profiles in turn): names from partners", ROUTE_QUERY],
      ] as const) {
        const bodies = PROFILES.map((profile) => JSON.stringify({ query, variables: { profile } }));
        const job = { url: stack.gatewayUrl, bodies, connections };
        await underLoad({ ...job, seconds: 3 }); // warm-up, not counted
        const m = await underLoad({ ...job, seconds });
        if (m.r.bad) throw new Error(`${what}: ${m.r.bad} failed answers under load`);
        loadRows.push({ size, what, ...m });
      }
    }
    if (part === "all" || part === "search") {
      for (const [name, req, vars] of SEARCHES) {
        rows.push({
          size,
          what: `search: ${name}`,
          path: "index",
          s: await time(() => stack.directory.sync.backend.search(req), runs),
        });
        rows.push({
          size,
          what: `search: ${name}`,
          path: "gateway",
          s: await time(() => gql(stack.gatewayUrl, SEARCH_QUERY, vars), runs),
        });
      }
      const all: number[] = [];
      for (const r of rows.filter((r) => r.path === "index")) all.push(r.s.p95);
    }
    if (part === "all" || part === "route") {
      // The engine alone, on the directory's live index, with the profiles placed as the resolver
      // places them.
      const today = new Date().toISOString().slice(0, 10);
      const live = stack.directory.sync.backend;
      const postcodes = createPostcodeResolver({
        postcodesUrl: null,
        centroidsFrom: () => stack.directory.sync.knownPostcodes(),
      });
      const profiles = await Promise.all(
        PROFILES.map((p) => toChildProfile(p as ChildProfileInput, { postcodes }, today)),
      );
      const engine = (backend: SearchBackend) => {
        let i = 0;
        return () =>
          routeChild(profiles[i++ % profiles.length]!, { backend, isStale: () => false });
      };
      const what = "routeChild, 4 needs (4 profiles in turn)";
      rows.push({
        size,
        what: `${what}: one pass`,
        path: "engine",
        s: await time(engine(live), runs),
      });
      rows.push({
        size,
        what: `${what}: a search per question`,
        path: "engine",
        s: await time(engine(searchOnly(live)), runs),
      });
      let i = 0;
      rows.push({
        size,
        what: `${what}: directory fields only`,
        path: "gateway",
        s: await time(
          () =>
            gql(stack.gatewayUrl, ROUTE_QUERY_DIRECTORY, {
              profile: PROFILES[i++ % PROFILES.length],
            }),
          runs,
        ),
      });
      rows.push({
        size,
        what: `${what}: names from partners`,
        path: "gateway",
        s: await time(
          () => gql(stack.gatewayUrl, ROUTE_QUERY, { profile: PROFILES[i++ % PROFILES.length] }),
          runs,
        ),
      });
      // coverage for the generator's areas in turn: every need × age band × partner.
      const report = (backend: SearchBackend) => {
        let k = 0;
        return () =>
          coverage(
            { area: COVERAGE_AREAS[k++ % COVERAGE_AREAS.length]!, today },
            { backend, offline: [] },
          );
      };
      const cov = "coverage, all age bands (areas in turn)";
      rows.push({
        size,
        what: `${cov}: one selection per area`,
        path: "engine",
        s: await time(report(live), runs),
      });
      rows.push({
        size,
        what: `${cov}: a faceted search per cell`,
        path: "engine",
        s: await time(report(searchOnly(live)), runs),
      });
      let k = 0;
      rows.push({
        size,
        what: cov,
        path: "gateway",
        s: await time(
          () =>
            gql(stack.gatewayUrl, COVERAGE_QUERY, {
              area: COVERAGE_AREAS[k++ % COVERAGE_AREAS.length],
            }),
          runs,
        ),
      });
    }
  } finally {
    await stack.close();
    await rm(stateDir, { recursive: true, force: true });
    for (const p of PARTNERS) await dbs[p].close();
    if (usePg) await dropSchemas(POSTGRES, urls);
  }
  const setup = `${size.toLocaleString("en-GB")} services: generate + import ${fmt((tImport - t0) / 1000)} s (${usePg ? "PostgreSQL" : "PGlite"}), stack start + full index sync ${fmt((tReady - tImport) / 1000)} s, heap after sync ${heapMb} MB`;
  console.log(setup);
  return { rows, loadRows, setup };
}

const usePg = await pgReachable();
const results: { rows: Row[]; loadRows: LoadRow[]; setup: string }[] = [];
for (const size of sizes) {
  const r = await benchSize(size, usePg);
  for (const row of r.rows)
    console.log(
      `${row.size}\t${row.path}\t${row.what}\tp50 ${fmt(row.s.p50)}\tp95 ${fmt(row.s.p95)}\tp99 ${fmt(row.s.p99)} ms\tCPU ${fmt(row.s.cpuMs)} ms/call\tload ${fmt(row.s.load[0])}→${fmt(row.s.load[1])}`,
    );
  for (const row of r.loadRows)
    console.log(
      `${row.size}\tload\t${row.what}\t${fmt(row.r.perSecond)} plans/s\tp95 ${fmt(row.r.p95)} ms\tCPU ${fmt(row.cpuMs)} ms/plan\tload ${fmt(row.load[0])}→${fmt(row.load[1])}`,
    );
  results.push(r);
}

const command = `npm run bench -- ${argv.join(" ")}`.trim();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; partners on ${usePg ? "PostgreSQL 15 (127.0.0.1)" : "PGlite"}; search on the embedded index`;
const loadSection = [
  `## routeChild under load — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Command: \`${command}\` (${connections} connections for ${seconds} s per line after a 3 s warm-up; autocannon in a separate process).`,
  `Machine: ${machine}; the gateway, the directory and the partners in one process (one thread), the load generator in another.`,
  "CPU ms per plan is the stack process's CPU time (user + system) over the run divided by the plans answered: the gateway, the directory and the partners, not the client. Plans/s is what the stack answered with the load generator on the other core. Load is the 1-minute load average before → after each line.",
  "",
  ...results.map((r) => `- ${r.setup}`),
  "",
  "| services | what | connections | plans/s | p50 ms | p95 ms | p99 ms | CPU ms per plan | load |",
  "|---:|---|---:|---:|---:|---:|---:|---:|---|",
  ...results.flatMap((r) =>
    r.loadRows.map(
      (row) =>
        `| ${row.size.toLocaleString("en-GB")} | ${row.what} | ${connections} | ${fmt(row.r.perSecond)} | ${fmt(row.r.p50)} | ${fmt(row.r.p95)} | ${fmt(row.r.p99)} | ${fmt(row.cpuMs)} | ${fmt(row.load[0])} → ${fmt(row.load[1])} |`,
    ),
  ),
  "",
].join("\n");
const latencySection = [
  `## ${part === "all" ? "Search and routing" : part} latency — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `Command: \`${command}\` (${runs} timed runs per line after 20 warm-up runs; sequential requests, so these are latencies, not throughput).`,
  `Machine: ${machine}; everything in one process over loopback HTTP.`,
  "CPU ms is this process's CPU time (user + system) per call over the timed runs: the gateway, the directory, the partners and the client together on a gateway line, the engine alone on an engine line. Unlike the latencies it hardly moves when other processes load the machine. Sequential calls/s is runs ÷ wall time of the timed runs, one call at a time on one thread. Load is the 1-minute load average before → after each line.",
  "",
  ...results.map((r) => `- ${r.setup}`),
  "",
  "| services | path | what | p50 ms | p95 ms | p99 ms | max ms | CPU ms per call | sequential calls/s | load |",
  "|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
  ...results.flatMap((r) =>
    r.rows.map(
      (row) =>
        `| ${row.size.toLocaleString("en-GB")} | ${row.path} | ${row.what} | ${fmt(row.s.p50)} | ${fmt(row.s.p95)} | ${fmt(row.s.p99)} | ${fmt(row.s.max)} | ${fmt(row.s.cpuMs)} | ${Math.round(row.s.perSecond)} | ${fmt(row.s.load[0])} → ${fmt(row.s.load[1])} |`,
    ),
  ),
  "",
].join("\n");
const section = part === "route-load" ? loadSection : latencySection;

console.log(`\nWrote ${await writeBenchSection(part, section)}`);
process.exit(0);

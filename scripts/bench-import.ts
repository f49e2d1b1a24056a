// npm run bench -- import [--services 100000] [--engines pglite,postgres]
// Import speed, as `npm run import` does it: the partners' files as published (JSON text) are
// parsed, validated against the official HSDS 3.0 schemas (ajv) and written in one transaction
// per partner, into a fresh file-backed PGlite database and a fresh PostgreSQL schema. Target
// (issue 14): 100,000 services in ≤ 60 s on each. Writes the figures, with the command and the
// machine's load, to BENCHMARKS.md under its own marker (the latency bench keeps its own).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { PARTNERS } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { configureLogging } from "../platform/log.ts";
import { generateDataset } from "./generate/dataset.ts";
import { benchConfig } from "./config.ts";
import { procCpuS } from "./bench/proc.ts";
import { writeBenchSection } from "./bench/report.ts";

const cfg = benchConfig({ syncIntervalMs: 60_000, rateLimit: false });
configureLogging({ service: "bench", level: cfg.logLevel });

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const services = Number(flag("services", "100000"));
const engines = flag("engines", "pglite,postgres").split(",") as ("pglite" | "postgres")[];
const TARGET_S = 60;

async function pgReachable(url: string) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

interface Step {
  partner: string;
  services: number;
  rows: number;
  parseValidateS: number;
  writeS: number;
  /** CPU seconds of this process (parse, validate, encode; and all of PGlite, which runs in it). */
  nodeCpuS: number;
  /** CPU seconds of the PostgreSQL backend that ran the import's transaction (null: not readable). */
  backendCpuS: number | null;
}
interface Run {
  engine: string;
  totalS: number;
  steps: Step[];
  load: [number, number];
  /** Highest resident set size of this process sampled during the run, MB. */
  peakRssMb: number;
}

const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/**
 * The same database, whose transactions also note the CPU time their PostgreSQL backend used: on
 * a shared, loaded machine wall time says little, CPU time is what the import itself costs.
 */
function withBackendCpu(db: Db): { db: Db; backendCpuS: () => number | null } {
  let total: number | null = 0;
  const wrapped: Db = Object.create(db);
  wrapped.transaction = (fn) =>
    db.transaction(async (tx) => {
      const [{ pid }] = await tx.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`);
      const before = procCpuS(pid);
      try {
        return await fn(tx);
      } finally {
        const after = procCpuS(pid);
        total = before === null || after === null || total === null ? null : total + after - before;
      }
    });
  return { db: wrapped, backendCpuS: () => (total === null ? null : Number(total.toFixed(1))) };
}

const load1 = () => Number(os.loadavg()[0]!.toFixed(1));
const secs = (ms: number) => Number((ms / 1000).toFixed(1));

console.log(`generating ${services.toLocaleString("en-GB")} services…`);
const data = generateDataset({ services });
// The files as a council would publish them: JSON text, read as `npm run import` reads a file.
const files = Object.fromEntries(PARTNERS.map((p) => [p, JSON.stringify(data[p])]));

async function runEngine(engine: "pglite" | "postgres"): Promise<Run | null> {
  const schema = `bench_import_${process.pid}`;
  let dir: string | undefined;
  if (engine === "postgres" && !(await pgReachable(cfg.postgresUrl))) {
    console.log(`PostgreSQL at ${cfg.postgresUrl} is not reachable: skipped`);
    return null;
  }
  const loadBefore = load1();
  const steps: Step[] = [];
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const start = performance.now();
  try {
    for (const partner of PARTNERS) {
      if (engine === "pglite")
        dir = await mkdtemp(path.join(os.tmpdir(), `wayfinder-bench-${partner}-`));
      const opened = await openDb(
        engine === "pglite"
          ? { dataDir: dir, migrationDirs: [] }
          : { url: `${cfg.postgresUrl}?schema=${schema}_${partner}`, migrationDirs: [] },
      );
      const { db, backendCpuS } =
        engine === "postgres" ? withBackendCpu(opened) : { db: opened, backendCpuS: () => null };
      try {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const bundle = validateHsds(JSON.parse(files[partner]!));
        const t1 = performance.now();
        let rows = 0;
        const result = await importHsds(db, bundle, { onProgress: (done) => (rows = done) });
        const t2 = performance.now();
        const step: Step = {
          partner,
          services: result.services,
          rows,
          parseValidateS: secs(t1 - t0),
          writeS: secs(t2 - t1),
          nodeCpuS: Number(cpuS(process.cpuUsage(c0)).toFixed(1)),
          backendCpuS: backendCpuS(),
        };
        steps.push(step);
        console.log(
          `${engine} ${partner}: ${result.services} services, parse + validate ${step.parseValidateS} s, write ${step.writeS} s, CPU ${step.nodeCpuS} s node${step.backendCpuS === null ? "" : ` + ${step.backendCpuS} s PostgreSQL backend`}`,
        );
      } finally {
        await db.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    clearInterval(sampler);
    if (engine === "postgres") {
      const c = new pg.Client({ connectionString: cfg.postgresUrl });
      await c.connect();
      for (const p of PARTNERS) await c.query(`DROP SCHEMA IF EXISTS ${schema}_${p} CASCADE`);
      await c.end();
    }
  }
  return {
    engine,
    totalS: secs(performance.now() - start),
    steps,
    load: [loadBefore, load1()],
    peakRssMb: Math.round(peakRss / 1e6),
  };
}

const runs: Run[] = [];
for (const engine of engines) {
  const r = await runEngine(engine);
  if (!r) continue;
  runs.push(r);
  const cpu = (f: (s: Step) => number | null) => r.steps.reduce((a, s) => a + (f(s) ?? 0), 0);
  console.log(
    `${engine}: wall ${r.totalS} s, CPU ${cpu((s) => s.nodeCpuS).toFixed(1)} s Node${engine === "postgres" ? ` + ${cpu((s) => s.backendCpuS).toFixed(1)} s PostgreSQL backend` : ""}, load ${r.load[0]} → ${r.load[1]}`,
  );
}

const command = `npm run bench -- ${argv.join(" ")}`.trim();
const section = [
  `## Import speed — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `Command: \`${command}\`. Target: ${services.toLocaleString("en-GB")} services in ≤ ${TARGET_S} s per engine.`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; load average (1 min) before → after each run shown below (other engineers' tests were running on the same 2 cores).`,
  "What is timed: for each partner's generated file (JSON text), JSON.parse + validation against the official HSDS 3.0 schemas + the one-transaction write, into a fresh file-backed PGlite database or a fresh PostgreSQL schema (so the write is the first-import path: COPY straight into the tables, foreign keys checked by one anti-join each at the end, and on PGlite the secondary indexes built after the load; an import into a database with rows merges from staging tables instead); not timed: generating the data. `total s` is the wall time of the whole run, so it also holds opening, migrating and closing each fresh database (file-backed PGlite's first start is slow under load).",
  "`CPU s` is what the import itself cost, whatever the load: `Node` is this process's CPU time over parse, validate and write (PGlite runs inside it), `backend` the CPU time of the PostgreSQL backend that ran the import's transaction (read from /proc; PostgreSQL's background writers are not counted), `total` their sum. On an otherwise idle machine the wall time of the parse + validate + write is about this figure or less (Node and the backend overlap while COPY streams). Peak RSS: this process, sampled every 50 ms during the engine's run; it includes the generated files held as text (as `npm run import` holds the file it reads).",
  "",
  "| engine | services | rows written | parse + validate s | write s | total s | CPU s Node | CPU s backend | CPU s total | services/s | peak RSS MB | load before → after | target |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
  ...runs.map((r) => {
    const n = r.steps.reduce((a, s) => a + s.services, 0);
    const rows = r.steps.reduce((a, s) => a + s.rows, 0);
    const pv = r.steps.reduce((a, s) => a + s.parseValidateS, 0);
    const w = r.steps.reduce((a, s) => a + s.writeS, 0);
    const nodeCpu = r.steps.reduce((a, s) => a + s.nodeCpuS, 0);
    const backendCpu =
      r.engine !== "postgres"
        ? 0
        : r.steps.some((s) => s.backendCpuS === null)
          ? null
          : r.steps.reduce((a, s) => a + s.backendCpuS!, 0);
    const backend = r.engine !== "postgres" ? "–" : (backendCpu?.toFixed(1) ?? "?");
    const cpu = backendCpu === null ? "?" : (nodeCpu + backendCpu).toFixed(1);
    return `| ${r.engine === "pglite" ? "PGlite (file)" : "PostgreSQL 15"} | ${n.toLocaleString("en-GB")} | ${rows.toLocaleString("en-GB")} | ${pv.toFixed(1)} | ${w.toFixed(1)} | ${r.totalS.toFixed(1)} | ${nodeCpu.toFixed(1)} | ${backend} | ${cpu} | ${Math.round(n / r.totalS).toLocaleString("en-GB")} | ${r.peakRssMb.toLocaleString("en-GB")} | ${r.load[0]} → ${r.load[1]} | ${r.totalS <= TARGET_S ? "met" : "missed"} |`;
  }),
  "",
  "Per partner:",
  "",
  ...runs.flatMap((r) =>
    r.steps.map(
      (s) =>
        `- ${r.engine} ${s.partner}: ${s.services.toLocaleString("en-GB")} services, ${s.rows.toLocaleString("en-GB")} rows, parse + validate ${s.parseValidateS} s, write ${s.writeS} s; CPU ${s.nodeCpuS} s in Node${s.backendCpuS === null ? "" : ` + ${s.backendCpuS} s in the PostgreSQL backend`}`,
    ),
  ),
  "",
].join("\n");

console.log(`\n${section}\nWrote ${await writeBenchSection("import", section)}`);
process.exit(0);

// npx tsx scripts/bench/import-phases.ts [--services 20000] [--engine pglite|postgres] [--merge|--again]
// Where one import's time goes, phase by phase: the council's share of a generated dataset is
// parsed, validated and written into a fresh database (file-backed PGlite or a PostgreSQL schema),
// timing every statement of the import's transaction and its commit. --merge puts one unrelated
// organization in first, so the import takes the merge path (staging tables) instead of the load
// into an empty database; --again times a second import of the same file into the database the
// first filled (a re-import, also the merge path). Prints the figures; BENCHMARKS.md quotes them.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDb, type Db, type Transaction } from "../../subgraphs/kit/db/db.ts";
import { importHsds } from "../../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../../subgraphs/kit/hsds/validate.ts";
import { generateDataset } from "../generate/dataset.ts";
import { benchConfig } from "../config.ts";

const cfg = benchConfig({ syncIntervalMs: 60_000, rateLimit: false });
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const services = Number(flag("services", "20000"));
const engine = flag("engine", "pglite");
const merge = argv.includes("--merge");
const again = argv.includes("--again");

/** The phase a statement belongs to, from its text. */
function phase(sql: string): string {
  if (/^COPY import_/.test(sql)) return "COPY into staging tables";
  if (/^COPY /.test(sql)) return `COPY ${sql.split(" ")[1]}`;
  if (/^(INSERT INTO|UPDATE) .* FROM import_|^INSERT INTO \w+ (AS \w+ )?\(.*SELECT/s.test(sql))
    return "merge (INSERT … ON CONFLICT, UPDATE)";
  if (/^DELETE FROM/.test(sql)) return "delete replaced child rows";
  if (/^CREATE (UNIQUE )?INDEX/.test(sql)) return "build secondary indexes";
  if (/^DROP INDEX/.test(sql)) return "drop secondary indexes";
  if (/json_build_object/.test(sql)) return "foreign-key anti-joins";
  return "other statements (checks, catalog, locks)";
}

const secs = (ms: number) => (ms / 1000).toFixed(2);
const cpuS = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1e6).toFixed(1);

const bundleText = JSON.stringify(generateDataset({ services }).council);
const load = os.loadavg()[0]!.toFixed(1);
let t = performance.now();
let c = process.cpuUsage();
const bundle = validateHsds(JSON.parse(bundleText));
console.log(
  `council: ${bundle.services.length} services; parse + validate ${secs(performance.now() - t)} s (CPU ${cpuS(process.cpuUsage(c))} s)`,
);

const dir = engine === "pglite" ? await mkdtemp(path.join(os.tmpdir(), "import-phases-")) : null;
const schema = `import_phases_${process.pid}`;
const opened = await openDb(
  dir ? { dataDir: dir } : { url: `${cfg.postgresUrl}?schema=${schema}` },
);
if (merge) await opened.query(`INSERT INTO organization (id, name) VALUES ('other', 'Other')`);
if (again) await importHsds(opened, bundle);

const phases = new Map<string, number>();
const add = (name: string, ms: number) => phases.set(name, (phases.get(name) ?? 0) + ms);
let fnDone = 0;
const db: Db = Object.create(opened);
db.transaction = <T>(fn: (tx: Transaction) => Promise<T>) =>
  opened.transaction(async (tx) => {
    const timed: Transaction = {
      kind: tx.kind,
      async query<R>(sql: string, params?: unknown[]) {
        const a = performance.now();
        try {
          return await tx.query<R>(sql, params);
        } finally {
          add(phase(sql.replace(/\s+/g, " ").trim()), performance.now() - a);
        }
      },
      async copyFrom(table, columns, chunks) {
        const a = performance.now();
        try {
          await tx.copyFrom(table, columns, chunks);
        } finally {
          add(phase(`COPY ${table}`), performance.now() - a);
        }
      },
    };
    const result = await fn(timed);
    fnDone = performance.now();
    return result;
  });

t = performance.now();
c = process.cpuUsage();
await importHsds(db, bundle);
const end = performance.now();
add("commit", end - fnDone);
const inStatements = [...phases.values()].reduce((a, b) => a + b, 0);
add("rows from the bundle (JavaScript) and COPY text encoding", end - t - inStatements);
console.log(
  `${engine}, ${again ? "re-import (merge)" : merge ? "merge into a non-empty database" : "into an empty database"}, load ${load}: import ${secs(end - t)} s wall, CPU ${cpuS(process.cpuUsage(c))} s in Node${engine === "pglite" ? " (PGlite runs in it)" : ""}`,
);
for (const [name, ms] of [...phases].sort((a, b) => b[1] - a[1]))
  console.log(`${secs(ms).padStart(7)} s  ${name}`);

await opened.close();
if (dir) await rm(dir, { recursive: true, force: true });
else {
  const client = new pg.Client({ connectionString: cfg.postgresUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

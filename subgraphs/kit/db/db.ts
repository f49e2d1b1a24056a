// One small database interface over PGlite (embedded default) and PostgreSQL via `pg` (production).
// Both run the same SQL and the same migrations.
import { access, readdir, readFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { acquireLock, type DbLock } from "./lock.ts";
import { layTemplate, templates, type TemplateSpec } from "./templates.ts";

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A transaction: queries plus bulk loading. */
export interface Transaction extends Queryable {
  readonly kind: Db["kind"];
  /**
   * `COPY table (columns) FROM STDIN` with chunks of PostgreSQL's COPY text format (see copyRow),
   * pulled one at a time so the caller can encode while the database parses. On PGlite the text
   * goes in through its `/dev/blob` device, a few megabytes per COPY.
   */
  copyFrom(table: string, columns: string[], chunks: Iterable<string>): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs fn in one transaction: everything it writes lands, or nothing does. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Tells other processes where this database is served (file-backed PGlite only, see lock.ts), so
   * `npm run import` sends its writes there instead of opening the files a second time.
   */
  advertise?(info: { url: string; holder: string }): Promise<void>;
  /** PGlite only: the whole data directory as a tarball, for `DbOptions.loadDataDir`. */
  dump?(compression?: "none" | "gzip"): Promise<Blob>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** postgres://… URL. A `schema` query parameter selects a schema (used by tests for isolation). */
  url?: string;
  /** Directory for a file-backed PGlite database; omitted → in-memory. Ignored when url is set. */
  dataDir?: string;
  /**
   * A new PGlite database starts as a copy of this dump (PGlite `dumpDataDir`): the test suite
   * builds its fixture databases once and loads them per stack.
   */
  loadDataDir?: Blob;
  /**
   * A new PGlite database (a data directory without PG_VERSION, or in memory) starts as a copy of
   * this dump, when it gives one, instead of the migrated empty one (npm start's demo data,
   * scripts/demo-data.ts). Migrations not in it still run. Not called for an existing database.
   */
  startFrom?: () => Promise<Blob | undefined>;
  /** Extra migration folders run after the shared HSDS ones (a partner's own tables). */
  migrationDirs?: string[];
  /** false: run only migrationDirs, not the HSDS tables (the directory's own state store). */
  baseMigrations?: boolean;
}

/** The shared HSDS tables' migrations, run first on every partner database. */
export const KIT_MIGRATIONS = fileURLToPath(new URL("./migrations", import.meta.url));

export async function openDb(options: DbOptions): Promise<Db> {
  const dirs = [
    ...(options.baseMigrations === false ? [] : [KIT_MIGRATIONS]),
    ...(options.migrationDirs ?? []),
  ];
  const db = options.url
    ? await openPostgres(options.url)
    : await openPglite(options.dataDir, async () => {
        if (options.loadDataDir) return options.loadDataDir;
        return (await options.startFrom?.()) ?? (await templates.get(migratedTemplate(dirs)));
      });
  try {
    // Nothing to do on a template that holds every migration; the rest are applied here.
    await migrate(db, dirs);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** Text per PGlite COPY: the blob is held in memory twice (JS and the WASM heap) while it loads. */
const PGLITE_COPY_CHARS = 8 * 1024 * 1024;

// PostgreSQL's default shared_buffers (128 MB) is zeroed when an embedded database opens, which was
// most of PGlite's start-up CPU (a wasm memset) and 128 MB of resident memory per database, four
// of them under npm start. The files sit in the OS page cache beneath PGlite anyway, so a smaller
// pool costs a cache miss a system call, not a disk read (issue 14: start time and soak RSS).
export const PGLITE_SHARED_BUFFERS = "32MB";

type PGliteClass = typeof import("@electric-sql/pglite").PGlite;
const startParams = (PGlite: PGliteClass) => [
  ...(PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams,
  "-c",
  `shared_buffers=${PGLITE_SHARED_BUFFERS}`,
];

const root = fileURLToPath(new URL("../../../", import.meta.url));
const pglitePackage = path.join(root, "node_modules/@electric-sql/pglite/package.json");
const thisFile = fileURLToPath(import.meta.url);

// initdb is most of what creating an embedded database costs (about 4 s of CPU), and the
// migrations after it about as much again in WASM. Both are run once, in memory, and the result
// laid into each new database (npm start's first run creates four: three partners and the
// directory's state store; the tests create hundreds), kept in the template cache (templates.ts)
// keyed by the PGlite release and the migrations: a later first run on this install skips both.
function initdbTemplate(PGlite: PGliteClass): Promise<Blob> {
  return templates.get({
    name: "pglite-initdb",
    inputs: { files: [pglitePackage], values: [PGLITE_SHARED_BUFFERS] },
    async build() {
      const pg = new PGlite({ startParams: startParams(PGlite) });
      try {
        await pg.waitReady;
        return await pg.dumpDataDir("none");
      } finally {
        await pg.close();
      }
    },
  });
}

/** The template spec of an empty database with every migration in dirs applied. */
export function migratedTemplate(dirs: string[]): TemplateSpec {
  return {
    // Named by its folders (the partners' and the directory's state store's differ).
    name: ["pglite-migrated", ...dirs.map((d) => path.basename(path.dirname(d)))].join("-"),
    // This file holds migrate(); each folder's parent names its migrations (schema_migrations).
    inputs: {
      files: [pglitePackage, thisFile],
      dirs,
      values: [PGLITE_SHARED_BUFFERS, ...dirs.map((d) => path.basename(path.dirname(d)))],
    },
    async build() {
      const { PGlite } = await import("@electric-sql/pglite");
      const pg = new PGlite({
        startParams: startParams(PGlite),
        loadDataDir: await initdbTemplate(PGlite),
      });
      await pg.waitReady;
      const db = pgliteDb(pg, null);
      try {
        await migrate(db, dirs);
        return await pg.dumpDataDir("none");
      } finally {
        await db.close();
      }
    },
  };
}

async function openPglite(dataDir: string | undefined, template: () => Promise<Blob>): Promise<Db> {
  const { PGlite } = await import("@electric-sql/pglite");
  let lock: DbLock | null = null;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireLock(dataDir);
  }
  let pg: InstanceType<typeof PGlite>;
  try {
    const options = { startParams: startParams(PGlite) };
    // A new database, on disk or in memory, starts as a copy of a template: never its own initdb.
    if (!dataDir) pg = new PGlite({ ...options, loadDataDir: await template() });
    else {
      if (!(await exists(path.join(dataDir, "PG_VERSION"))))
        await layTemplate(await template(), dataDir);
      pg = new PGlite(dataDir, options);
    }
    await pg.waitReady;
  } catch (err) {
    await lock?.release();
    throw err;
  }
  return pgliteDb(pg, lock);
}

function pgliteDb(pg: import("@electric-sql/pglite").PGlite, lock: DbLock | null): Db {
  return {
    kind: "pglite",
    dump: (compression) => pg.dumpDataDir(compression),
    async advertise(info) {
      await lock?.advertise(info);
    },
    async query<T>(sql: string, params?: unknown[]) {
      const res = await pg.query<T>(sql, params as unknown[]);
      return res.rows;
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>) {
      return pg.transaction(async (tx) =>
        fn({
          kind: "pglite",
          async query<R>(sql: string, params?: unknown[]) {
            return (await tx.query<R>(sql, params as unknown[])).rows;
          },
          async copyFrom(table, columns, chunks) {
            const copy = `COPY ${table} (${columns.join(", ")}) FROM '/dev/blob'`;
            let parts: string[] = [];
            let size = 0;
            const flush = async () => {
              if (!parts.length) return;
              await tx.query(copy, [], { blob: new Blob(parts) });
              parts = [];
              size = 0;
            };
            for (const chunk of chunks) {
              parts.push(chunk);
              size += chunk.length;
              if (size >= PGLITE_COPY_CHARS) await flush();
            }
            await flush();
          },
        }),
      );
    },
    async close() {
      try {
        await pg.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

async function openPostgres(rawUrl: string): Promise<Db> {
  const { default: pg } = await import("pg");
  const { from: copyFrom } = await import("pg-copy-streams");
  // Dates stay strings ("2027-03-31"); a JS Date would shift them across time zones.
  pg.types.setTypeParser(1082, (v: string) => v);
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const url = new URL(rawUrl);
  const schema = url.searchParams.get("schema");
  url.searchParams.delete("schema");
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`invalid schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: 10,
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          kind: "postgres",
          async query<R>(sql: string, params?: unknown[]) {
            return (await client.query(sql, params)).rows as R[];
          },
          async copyFrom(table, columns, chunks) {
            const stream = client.query(
              copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`),
            );
            await pipeline(Readable.from(chunks), stream);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async advertise() {},
    async close() {
      await pool.end();
    },
  };
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** Applies every *.sql file not yet recorded in schema_migrations, in name order, each in a transaction. */
export async function migrate(db: Db, dirs: string[]): Promise<string[]> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const done = new Set(
    (await db.query<{ name: string }>(`SELECT name FROM schema_migrations`)).map((r) => r.name),
  );
  const applied: string[] = [];
  for (const dir of dirs) {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
    for (const file of files) {
      const name = `${path.basename(path.dirname(dir))}/${file}`;
      if (done.has(name)) continue;
      const sql = await readFile(path.join(dir, file), "utf8");
      await db.transaction(async (tx) => {
        for (const statement of splitSql(sql)) await tx.query(statement);
        await tx.query(`INSERT INTO schema_migrations (name) VALUES ($1)`, [name]);
      });
      applied.push(name);
    }
  }
  return applied;
}

// Statements end with ";" at a line end; a dollar-quoted body ($$ … $$, e.g. a trigger function)
// is kept whole, whatever semicolons it holds.
function splitSql(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let inBody = false;
  for (const line of sql.split("\n")) {
    if (!inBody && /^\s*--/.test(line)) continue;
    current += `${line}\n`;
    if ((line.match(/\$\$/g)?.length ?? 0) % 2 === 1) inBody = !inBody;
    if (!inBody && /;\s*$/.test(line)) {
      statements.push(current.trim().replace(/;$/, ""));
      current = "";
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements.filter(Boolean);
}

const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};
const copyEscape = (s: string) =>
  /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
const arrayItem = (v: unknown) => `"${String(v).replace(/[\\"]/g, "\\$&")}"`;

/**
 * One line of PostgreSQL's COPY text format: null → \N, booleans t/f, arrays as array literals,
 * everything else as text, with backslash, tab and line breaks escaped.
 */
export function copyRow(values: unknown[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) line += "\t";
    if (v === null || v === undefined) line += "\\N";
    else if (typeof v === "boolean") line += v ? "t" : "f";
    else if (typeof v === "number") line += String(v);
    else if (Array.isArray(v)) line += copyEscape(`{${v.map(arrayItem).join(",")}}`);
    else line += copyEscape(String(v));
  }
  return line + "\n";
}

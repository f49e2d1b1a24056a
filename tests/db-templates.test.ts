// The PGlite template cache (subgraphs/kit/db/templates.ts): a hit is read, not built; a change to
// any input is a miss; a truncated or corrupt file is found by its checksum and rebuilt, never
// loaded. And a new database starts from the template it is given (db.ts startFrom).
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { templateCache, type TemplateSpec } from "../subgraphs/kit/db/templates.ts";
import { openDb } from "../subgraphs/kit/db/db.ts";

let dir: string;
let cacheDir: string;
let input: string;
let builds: number;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wayfinder-templates-"));
  cacheDir = path.join(dir, "cache");
  input = path.join(dir, "input.sql");
  await writeFile(input, "CREATE TABLE a (id int);");
  builds = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (values: (string | number)[] = [1]): TemplateSpec => ({
  name: "test",
  inputs: { files: [input], values },
  async build() {
    builds++;
    return new Blob([`dump ${builds} of ${values.join(",")}`]);
  },
});
const text = async (blob: Blob) => await blob.text();
const cached = async () => (await readdir(cacheDir)).filter((f) => f.endsWith(".tar"));

describe("templateCache", () => {
  it("builds on a miss and reads the kept file on a hit, in this process or a later one", async () => {
    expect(await text(await templateCache(cacheDir).get(spec()))).toBe("dump 1 of 1");
    expect(await cached()).toHaveLength(1);
    // A new cache over the same folder: what a later process sees.
    expect(await text(await templateCache(cacheDir).get(spec()))).toBe("dump 1 of 1");
    expect(builds).toBe(1);
    const file = await templateCache(cacheDir).file(spec());
    expect(await readFile(file, "utf8")).toBe("dump 1 of 1");
  });

  it("misses when an input file or value changes", async () => {
    await templateCache(cacheDir).get(spec());
    await writeFile(input, "CREATE TABLE a (id bigint);");
    expect(await text(await templateCache(cacheDir).get(spec()))).toBe("dump 2 of 1");
    expect(await text(await templateCache(cacheDir).get(spec([2])))).toBe("dump 3 of 2");
    expect(builds).toBe(3);
    // Only the newest is kept (a dump is tens of megabytes); another name's is left alone.
    expect(await cached()).toHaveLength(1);
    await templateCache(cacheDir).get({ ...spec(), name: "test-other" });
    expect(await text(await templateCache(cacheDir).get(spec([2])))).toBe("dump 3 of 2");
    expect(builds).toBe(4);
    expect(await cached()).toHaveLength(2);
  });

  it("rebuilds a truncated file instead of loading it", async () => {
    await templateCache(cacheDir).get(spec());
    const [name] = await cached();
    await truncate(path.join(cacheDir, name!), 4);
    expect(await text(await templateCache(cacheDir).get(spec()))).toBe("dump 2 of 1");
    expect(builds).toBe(2);
    const files = await cached();
    expect(files).toHaveLength(1);
    expect(await readFile(path.join(cacheDir, files[0]!), "utf8")).toBe("dump 2 of 1");
  });

  it("rebuilds a file whose bytes changed but not its length", async () => {
    await templateCache(cacheDir).get(spec());
    const [name] = await cached();
    await writeFile(path.join(cacheDir, name!), "dump X of 1");
    expect(await text(await templateCache(cacheDir).get(spec()))).toBe("dump 2 of 1");
    expect(await cached()).not.toContain(name);
  });

  it("builds without keeping anything when an input cannot be read", async () => {
    await rm(input);
    const cache = templateCache(cacheDir);
    expect(await cache.key(spec())).toBeNull();
    expect(await text(await cache.get(spec()))).toBe("dump 1 of 1");
    expect(await text(await cache.get(spec()))).toBe("dump 2 of 1");
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});

describe("openDb startFrom", () => {
  it("starts a new data directory from the given dump, and leaves an existing one alone", async () => {
    // No migrations in it (the HSDS ones are left out): openDb must apply them after.
    const source = await openDb({ baseMigrations: false });
    await source.query("CREATE TABLE marker (note text)");
    await source.query("INSERT INTO marker VALUES ('from the template')");
    const dump = await source.dump!("none");
    await source.close();

    const dataDir = path.join(dir, "db");
    let asked = 0;
    const startFrom = async () => {
      asked++;
      return dump;
    };
    const db = await openDb({ dataDir, startFrom });
    expect(await db.query("SELECT note FROM marker")).toEqual([{ note: "from the template" }]);
    // The template carries no migrations of its own: openDb still applied them.
    const [{ n }] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM schema_migrations",
    );
    expect(n).toBeGreaterThan(0);
    await db.query("UPDATE marker SET note = 'changed'");
    await db.close();

    const again = await openDb({ dataDir, startFrom });
    expect(await again.query("SELECT note FROM marker")).toEqual([{ note: "changed" }]);
    await again.close();
    expect(asked).toBe(1);
  });
});

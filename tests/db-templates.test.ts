// The PGlite template cache (subgraphs/kit/db/templates.ts): a hit is read, not built; a change to
// any input is a miss; a truncated or corrupt file is found by its checksum and rebuilt, never
// loaded. And a new database starts from the template it is given (db.ts startFrom).
import {
  access,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { layTemplate, templateCache, type TemplateSpec } from "../subgraphs/kit/db/templates.ts";
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

/** A one-file ustar archive, as PGlite's dumpDataDir writes them. */
function tarOf(name: string, content: string): Blob {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write(`${Buffer.byteLength(content).toString(8).padStart(11, "0")}\0`, 124);
  header.write("0", 156);
  header.write("ustar\0", 257);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  body.write(content);
  return new Blob([header, body, Buffer.alloc(1024)]);
}

describe("layTemplate", () => {
  it("refuses an entry outside the data directory", async () => {
    const target = path.join(dir, "data");
    await expect(layTemplate(tarOf("../escaped", "x"), target)).rejects.toThrow(/bad entry/);
    await expect(access(path.join(dir, "escaped"))).rejects.toThrow();
  });

  it("lays a directory holding files but no PG_VERSION (an interrupted copy) again", async () => {
    const source = await openDb({ baseMigrations: false });
    await source.query("CREATE TABLE marker (note text)");
    await source.query("INSERT INTO marker VALUES ('laid')");
    const dump = await source.dump!("none");
    await source.close();
    expect(await layTemplate(tarOf("base/1/1", "x"), path.join(dir, "x")).catch((e) => e)).toEqual(
      new Error("a PGlite template without PG_VERSION"),
    );
    // An interrupted copy: some files, no PG_VERSION.
    const dataDir = path.join(dir, "db");
    await mkdir(path.join(dataDir, "base"), { recursive: true });
    await writeFile(path.join(dataDir, "base", "stray"), "half");
    const db = await openDb({ dataDir, baseMigrations: false, startFrom: async () => dump });
    expect(await db.query("SELECT note FROM marker")).toEqual([{ note: "laid" }]);
    await db.close();
  });
});

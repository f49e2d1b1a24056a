// One cache of PGlite data-directory dumps ("templates") that new databases start as copies of:
// PGlite's initdb result, a migrated empty database, npm start's demo databases with the generated
// data already imported. Each is keyed by the contents of everything it is made from (spec.inputs),
// so a change to any of them makes a new one, and checked against the checksum in its file name
// when read, so a truncated or corrupt file is removed and rebuilt, never loaded.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface TemplateSpec {
  /**
   * Stem of the cache file's name (letters, digits, "-"): one template is kept per name, so two
   * templates wanted at the same time need two names.
   */
  name: string;
  /**
   * What the dump is made from: files and folders (by content, a folder's files recursively) and
   * plain values (seeds, sizes, settings). A change to any of them makes a new template.
   */
  inputs: { files?: string[]; dirs?: string[]; values?: (string | number)[] };
  /** Makes the dump on a miss. */
  build(): Promise<Blob>;
}

export interface TemplateCache {
  /** The template: from the cache when a verified copy is there, else built (and kept, if it can be). */
  get(spec: TemplateSpec): Promise<Blob>;
  /** The verified cache file holding the template (built and written on a miss; throws if it cannot be). */
  file(spec: TemplateSpec): Promise<string>;
  /** The key of spec's inputs, or null when one of them cannot be read (nothing is cached then). */
  key(spec: TemplateSpec): Promise<string | null>;
}

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Beside npm start's bundle (scripts/launch.mjs): a clean install starts without. */
export const TEMPLATE_DIR = path.join(ROOT, "node_modules", ".cache", "wayfinder", "pglite");

/** The cache the app and the tests share. */
export const templates: TemplateCache = templateCache(TEMPLATE_DIR);

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** `<name>-<key>.<first 32 hex digits of the dump's sha-256>.tar` */
const CHECKSUM_CHARS = 32;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function inputsKey(inputs: TemplateSpec["inputs"]): Promise<string> {
  const hash = createHash("sha256");
  // Length-prefixed, so that no two different lists of parts hash alike.
  const part = (s: string | Uint8Array) =>
    hash.update(`${typeof s === "string" ? Buffer.byteLength(s) : s.byteLength}:`).update(s);
  for (const v of inputs.values ?? []) part(`value:${typeof v}:${v}`);
  // Paths enter the key relative to their folder or by base name, so that the same tree checked
  // out elsewhere has the same keys.
  for (const file of inputs.files ?? []) {
    part(`file:${path.basename(file)}`);
    part(await readFile(file));
  }
  for (const dir of inputs.dirs ?? []) {
    part(`dir:${path.basename(dir)}`);
    for (const file of await filesUnder(dir)) {
      part(path.relative(dir, file));
      part(await readFile(file));
    }
  }
  return hash.digest("hex").slice(0, 24);
}

export function templateCache(dir: string): TemplateCache {
  const keys = new Map<string, Promise<string | null>>();
  const made = new Map<string, Promise<{ blob: Blob; file: string | null }>>();
  /**
   * Files this process has already checked against their checksum, by prefix. Their names are
   * their checksums and they are only ever replaced whole (rename), so a file still there holds
   * what was checked: it is not read and hashed again on every open (tens of megabytes each).
   */
  const verified = new Map<string, string>();
  const known = async (prefix: string) => {
    const file = verified.get(prefix);
    if (
      file &&
      (await access(file).then(
        () => true,
        () => false,
      ))
    )
      return file;
    verified.delete(prefix);
    return null;
  };

  const key = (spec: TemplateSpec) => {
    const id = JSON.stringify([spec.name, spec.inputs]);
    let k = keys.get(id);
    if (!k) {
      k = inputsKey(spec.inputs).catch(() => null);
      keys.set(id, k);
    }
    return k;
  };

  /** A verified copy of the template from the cache; copies that fail their checksum are removed. */
  async function read(prefix: string): Promise<{ blob: Blob; file: string } | null> {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(prefix) && n.endsWith(".tar"))) {
      const file = path.join(dir, name);
      const bytes = await readFile(file).catch(() => null);
      if (!bytes) continue;
      if (sha256(bytes).slice(0, CHECKSUM_CHARS) === name.slice(prefix.length, -".tar".length))
        return { blob: new Blob([bytes]), file };
      await rm(file, { force: true });
    }
    return null;
  }

  async function write(prefix: string, blob: Blob): Promise<string> {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const file = path.join(dir, `${prefix}${sha256(bytes).slice(0, CHECKSUM_CHARS)}.tar`);
    await mkdir(dir, { recursive: true });
    // One template per name: those made from earlier inputs (tens of megabytes each) go.
    const stem = prefix.slice(0, prefix.lastIndexOf("-") + 1);
    for (const name of await readdir(dir))
      if (
        name.startsWith(stem) &&
        !name.startsWith(prefix) &&
        /^[0-9a-f]+\.[0-9a-f]+\.tar$/.test(name.slice(stem.length))
      )
        await rm(path.join(dir, name), { force: true });
    // Written beside and renamed into place: a reader never sees half a file under a .tar name.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return file;
  }

  function obtain(spec: TemplateSpec) {
    if (!/^[a-z0-9-]+$/i.test(spec.name)) throw new Error(`bad template name "${spec.name}"`);
    const id = JSON.stringify([spec.name, spec.inputs]);
    let p = made.get(id);
    if (!p) {
      p = (async () => {
        const k = await key(spec);
        if (!k) return { blob: await spec.build(), file: null };
        const prefix = `${spec.name}-${k}.`;
        const seen = await known(prefix);
        const bytes = seen && (await readFile(seen).catch(() => null));
        if (seen && bytes) return { blob: new Blob([bytes]), file: seen };
        const hit = await read(prefix);
        if (hit) {
          verified.set(prefix, hit.file);
          return hit;
        }
        const blob = await spec.build();
        // A read-only install keeps what it built for this process only.
        const file = await write(prefix, blob).catch(() => null);
        if (file) verified.set(prefix, file);
        return { blob, file };
      })();
      // Shared while in flight only: a dump is tens of megabytes, not to be held for a process's life.
      made.set(id, p);
      const forget = () => made.delete(id);
      p.then(forget, forget);
    }
    return p;
  }

  return {
    key,
    async get(spec) {
      return (await obtain(spec)).blob;
    },
    async file(spec) {
      // Only the path is wanted: a file checked before is not read again.
      const k = await key(spec);
      const seen = k && (await known(`${spec.name}-${k}.`));
      if (seen) return seen;
      const { file } = await obtain(spec);
      if (!file) throw new Error(`template ${spec.name} could not be kept under ${dir}`);
      return file;
    },
  };
}

/**
 * Writes a template (a PGlite `dumpDataDir("none")` tarball: ustar, files and folders) into dir as
 * a file-backed data directory, with Node's own file calls: PGlite's loader goes through its
 * emulated file system one call at a time, which cost more than the rest of a first run. PG_VERSION,
 * which tells PGlite a data directory exists, is written last, so an interrupted copy is started
 * over rather than opened. Throws on anything but plain files and folders inside dir.
 */
export async function layTemplate(tar: Blob, dir: string): Promise<void> {
  const bytes = new Uint8Array(await tar.arrayBuffer());
  const text = (from: number, length: number) => {
    const field = bytes.subarray(from, from + length);
    const end = field.indexOf(0);
    return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString("utf8");
  };
  const root = path.resolve(dir);
  let last: { file: string; data: Uint8Array } | null = null;
  // Synchronous calls: a thousand small files each, and a promise per call cost more than the write.
  const made = new Set<string>();
  const folder = (d: string) => {
    if (!made.has(d)) mkdirSync(d, { recursive: true });
    made.add(d);
  };
  for (let at = 0; at + 512 <= bytes.length;) {
    if (bytes[at] === 0) break; // the end: zero blocks
    const prefix = text(at + 345, 155);
    const name = (prefix ? `${prefix}/` : "") + text(at, 100);
    const size = parseInt(text(at + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(bytes[at + 156]!);
    const target = path.resolve(root, `.${path.posix.sep}${name.replace(/^\/+/, "")}`);
    if (!Number.isFinite(size) || (target !== root && !target.startsWith(root + path.sep)))
      throw new Error(`bad entry "${name}" in a PGlite template`);
    const data = bytes.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === "5") folder(target);
    else if (type === "0" || type === "\0") {
      folder(path.dirname(target));
      if (path.relative(root, target) === "PG_VERSION") last = { file: target, data };
      else writeFileSync(target, data);
    } else throw new Error(`entry "${name}" of type "${type}" in a PGlite template`);
  }
  if (!last) throw new Error("a PGlite template without PG_VERSION");
  writeFileSync(last.file, last.data);
}

// node scripts/launch.mjs <entry.ts>: runs a TypeScript entry point (npm start) as one prebuilt
// bundle instead of through tsx's module hooks. Loading ~200 source files through the hooks, each
// transformed and handed across the hooks' thread, cost about 2.5 s of CPU before anything
// started (issue 14); one bundle of our code, with every package left to Node's own loader, costs
// a fraction of that. The bundle is built with esbuild (the compiler tsx itself uses, with the
// same tsconfig) into node_modules/.cache/wayfinder and rebuilt only when a file it was built from
// changes (their sizes and mtimes are kept beside it), so a restart loads it straight away.
// Where the bundle cannot be built or written (a read-only install), the entry runs through tsx;
// `--prebuild <entries…>` builds bundles ahead (the Dockerfile does, while the app can still write).
// Every npm script that starts a process (start, start:*, import, token, partner:new …) runs here,
// but schema:compose (scripts/compose.ts says why).
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import console from "node:console";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE =
  "usage: node scripts/launch.mjs <entry.ts> [args…]\n       node scripts/launch.mjs --prebuild <entry.ts>…  (builds the bundles and exits: the Dockerfile's install step)";
const prebuild = process.argv[2] === "--prebuild";
if (!process.argv[2] || (prebuild && !process.argv[3])) throw new Error(USAGE);

const cacheDir = path.join(root, "node_modules", ".cache", "wayfinder");
/**
 * Where an entry's bundle and its manifest are kept. One bundle per checkout and entry: copies of
 * the repository that share node_modules by a link (tests/partner-new.e2e.ts) must not run each
 * other's bundles.
 */
function bundleOf(entry) {
  const name = `${path.relative(root, entry).replace(/[^A-Za-z0-9]+/g, "-")}-${createHash("sha256").update(`${root}\0${entry}`).digest("hex").slice(0, 12)}`;
  return {
    entry,
    bundle: path.join(cacheDir, `${name}.mjs`),
    manifest: path.join(cacheDir, `${name}.json`),
  };
}

/** Size and mtime of each file, or null when one is gone. */
async function fingerprint(files) {
  try {
    const stats = await Promise.all(files.map((f) => stat(path.join(root, f))));
    return stats.map((s) => `${s.size}:${s.mtimeMs}`);
  } catch {
    return null;
  }
}

async function upToDate({ entry, manifest }) {
  try {
    const m = JSON.parse(await readFile(manifest, "utf8"));
    if (m.node !== process.version || m.entry !== entry) return false;
    const now = await fingerprint(Object.keys(m.inputs));
    const before = Object.values(m.inputs);
    return now !== null && now.every((f, i) => f === before[i]);
  } catch {
    return false;
  }
}

async function build({ entry, bundle, manifest }) {
  const esbuild = await import("esbuild");
  // Each module keeps its own location: files read beside the source (migrations, templates,
  // the HSDS schemas) are found from import.meta.url, which a bundle would otherwise share.
  const ownLocation = {
    name: "own-import-meta",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        return {
          contents: source
            .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
            .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
            .replaceAll("import.meta.filename", JSON.stringify(args.path)),
          loader: "ts",
        };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    packages: "external",
    // type-graphql names GraphQL types after their classes: a bundle must not rename them.
    keepNames: true,
    tsconfig: path.join(root, "tsconfig.json"),
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [ownLocation],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("<"));
  const prints = await fingerprint(inputs);
  if (!prints) return false;
  await mkdir(cacheDir, { recursive: true });
  await forgetGoneCheckouts();
  // Written beside and renamed into place: two starts at once never read half a file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  await writeFile(tmp, result.outputFiles[0].contents);
  await rename(tmp, bundle);
  const inputsWithPrints = Object.fromEntries(inputs.map((f, i) => [f, prints[i]]));
  await writeFile(
    `${manifest}.${process.pid}.tmp`,
    JSON.stringify({ node: process.version, root, entry, inputs: inputsWithPrints }),
  );
  await rename(`${manifest}.${process.pid}.tmp`, manifest);
  return true;
}

/** Drops the bundles of checkouts that no longer exist (temporary copies made by tests). */
async function forgetGoneCheckouts() {
  for (const file of await readdir(cacheDir)) {
    if (!file.endsWith(".json") || file.startsWith("pglite-")) continue;
    const m = await readFile(path.join(cacheDir, file), "utf8")
      .then(JSON.parse)
      .catch(() => null);
    if (m?.root && !(await stat(m.root).catch(() => null))) {
      await rm(path.join(cacheDir, file), { force: true });
      await rm(path.join(cacheDir, file.replace(/\.json$/, ".mjs")), { force: true });
    }
  }
}

if (prebuild) {
  for (const arg of process.argv.slice(3)) {
    const target = bundleOf(path.resolve(root, arg));
    if (!(await upToDate(target)) && !(await build(target)))
      throw new Error(`launch: could not build a bundle of ${arg}`);
    console.log(`launch: ${arg} → ${path.relative(root, target.bundle)}`);
  }
  process.exit(0);
}

const target = bundleOf(path.resolve(root, process.argv[2]));
// The entry sees the argv it would see under tsx.
process.argv.splice(1, 2, target.entry);
let ready = await upToDate(target);
if (!ready) {
  try {
    ready = await build(target);
  } catch (err) {
    console.error(
      `launch: running ${path.relative(root, target.entry)} through tsx (no bundle: ${err instanceof Error ? err.message.split("\n")[0] : err})`,
    );
  }
}
if (ready) {
  await import(pathToFileURL(target.bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(target.entry).href);
}

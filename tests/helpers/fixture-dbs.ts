// The fixture partner databases, built once per test run (tests/helpers/global-setup.ts) and loaded
// by every stack from a PGlite data-dir dump: initdb in WASM is the most expensive step of starting
// a stack (seconds per database, far more on a loaded machine), loading a dump a fraction of it.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { inject } from "vitest";
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { KIT_MIGRATIONS, migratedTemplate, openDb, type Db } from "../../subgraphs/kit/db/db.ts";
import { templates } from "../../subgraphs/kit/db/templates.ts";
import { seedPartner } from "../../subgraphs/kit/hsds/seed.ts";
import type { HsdsBundle } from "../../subgraphs/kit/hsds/format.ts";
import { DATASET } from "../fixtures/dataset.ts";

/** Where the dumps are: files, so that every test worker can read them. */
export interface PgliteFixtures {
  /** A migrated database with no rows. */
  empty: string;
  /** Each partner's database with the fixed dataset (tests/fixtures/dataset.ts) imported. */
  dataset: Record<PartnerId, string>;
}

/** Where the run's shared read-only stack listens (tests/helpers/stack.ts sharedTestStack). */
export interface SharedStackUrls {
  gatewayUrl: string;
  partners: Record<PartnerId, { url: string }>;
  directory: { http: { url: string } };
}

declare module "vitest" {
  interface ProvidedContext {
    pgliteFixtures: PgliteFixtures;
    sharedStack: SharedStackUrls;
  }
}

/**
 * Loads `dataset` into partner databases and records the fixture council's acceptance of the
 * charity's co-delivery of its family hub (only accepted co-deliveries are public;
 * tests/security/codelivery.e2e.ts covers the agreement itself).
 */
export async function loadDataset(
  dbs: Record<PartnerId, Db>,
  dataset: Record<PartnerId, HsdsBundle>,
): Promise<void> {
  // Each partner's own co-deliveries from `dataset` (it used to take the fixed dataset's whatever
  // dataset it was given).
  await Promise.all(PARTNERS.map((p) => seedPartner(dbs[p], p, dataset, "fixture")));
}

/**
 * Derives the dataset's databases from the empty migrated dump (emptyDump) and dumps them into `dir`.
 * Returns the dumps and the dataset's databases, still open (the caller closes them).
 */
export async function buildPgliteFixtures(
  dir: string,
): Promise<{ fixtures: PgliteFixtures; dbs: Record<PartnerId, Db> }> {
  const save = async (db: Db, name: string) => {
    const file = path.join(dir, `${name}.tar`);
    await writeFile(file, Buffer.from(await (await db.dump!("none")).arrayBuffer()));
    return file;
  };
  const empty = await emptyDump();
  const template = await fixtureBlob(empty);
  const dbs = Object.fromEntries(
    await Promise.all(
      PARTNERS.map(async (p) => [p, await openDb({ loadDataDir: template })] as const),
    ),
  ) as Record<PartnerId, Db>;
  try {
    await loadDataset(dbs, DATASET);
    const dataset = {} as Record<PartnerId, string>;
    for (const p of PARTNERS) dataset[p] = await save(dbs[p], `dataset-${p}`);
    return { fixtures: { empty, dataset }, dbs };
  } catch (err) {
    await Promise.all(PARTNERS.map((p) => dbs[p].close()));
    throw err;
  }
}

const blobs = new Map<string, Promise<Blob>>();
/** A dump as a Blob, read once per worker (PGlite copies it; the Blob itself is never changed). */
export function fixtureBlob(file: string): Promise<Blob> {
  let blob = blobs.get(file);
  if (!blob) {
    blob = readFile(file).then((buf) => new Blob([buf]));
    blobs.set(file, blob);
  }
  return blob;
}

/** What the e2e project's global setup provided (else undefined: another project, or no setup). */
export function provided<K extends "pgliteFixtures" | "sharedStack">(key: K) {
  try {
    return inject(key) as ReturnType<typeof inject<K>> | undefined;
  } catch {
    return undefined;
  }
}

/** The run's prebuilt dumps, when the e2e project's global setup made them (else undefined). */
export function providedFixtures(): PgliteFixtures | undefined {
  return provided("pgliteFixtures");
}

/**
 * The file of a migrated PGlite database with no rows (initdb, then the kit's migrations): the
 * template npm start's databases start from too, kept in the one template cache
 * (subgraphs/kit/db/templates.ts, under node_modules/.cache) keyed by the PGlite release, the
 * migrations and the code that runs them, and checked against its checksum when read. Nothing
 * time-dependent is in it (no rows), so a dump from an earlier run is the same database a fresh
 * initdb would give.
 */
export function emptyDump(): Promise<string> {
  return templates.file(migratedTemplate([KIT_MIGRATIONS]));
}

/**
 * A fresh, migrated in-memory PGlite database, loaded from the empty migrated dump (the run's, or
 * emptyDump's) rather than made with initdb. What a test writes to it is its own.
 */
export async function openTestPglite(): Promise<Db> {
  const empty = providedFixtures()?.empty ?? (await emptyDump());
  return openDb({ loadDataDir: await fixtureBlob(empty) });
}

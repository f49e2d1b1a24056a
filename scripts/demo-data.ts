// npm start's demo data in development: the generated default dataset (scripts/generate), imported
// into a partner's empty database. A new embedded database starts as a copy of a template that
// already holds it (demoTemplate), made once per install; loadDemoData does the same import into a
// database that exists but is empty (PostgreSQL, or a PGlite directory emptied by hand).
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { PartnerId } from "../schema/vocabulary.ts";
import { KIT_MIGRATIONS, openDb, migratedTemplate, type Db } from "../subgraphs/kit/db/db.ts";
import { templates } from "../subgraphs/kit/db/templates.ts";
import { seedPartner } from "../subgraphs/kit/hsds/seed.ts";
import {
  DEFAULT_SEED,
  DEFAULT_SERVICES,
  DEFAULT_TODAY,
  GENERATED_PARTNERS,
  generateDataset,
} from "./generate/dataset.ts";

let dataset: ReturnType<typeof generateDataset> | null = null;
const demoDataset = () => (dataset ??= generateDataset({}));

/**
 * Imports the generated data for `partner` into db and records, as its owner, the acceptance of
 * every co-delivery proposed for its services. Returns the services loaded, or null when the
 * generator has no data for the partner (one added after it was written).
 */
export async function loadDemoData(db: Db, partner: PartnerId): Promise<number | null> {
  return seedPartner(db, partner, demoDataset(), "demo-data");
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");

/**
 * A dump of partner's database with the demo data loaded (undefined when the generator has none
 * for it), from the template cache: keyed by everything the import's result depends on (the
 * migrated database, the generator and its settings, the vocabulary and HSDS schemas, the import
 * and validation code, this file). Its timestamps (last_modified, the acceptances) are those of
 * the day the template was made.
 */
export async function demoTemplate(
  partner: PartnerId,
  migrationDirs: string[],
): Promise<Blob | undefined> {
  // Whether the generator has data for the partner, without generating it: a cached template
  // needs none of it.
  if (!GENERATED_PARTNERS.includes(partner)) return undefined;
  const migrated = migratedTemplate([KIT_MIGRATIONS, ...migrationDirs]);
  return templates.get({
    name: `demo-${partner}`,
    inputs: {
      files: [
        ...(migrated.inputs.files ?? []),
        fileURLToPath(import.meta.url),
        path.join(here, "generate", "dataset.ts"),
        path.join(root, "subgraphs", "kit", "codelivery.ts"),
      ],
      dirs: [
        ...(migrated.inputs.dirs ?? []),
        path.join(root, "schema"),
        path.join(root, "subgraphs", "kit", "hsds"),
      ],
      values: [
        ...(migrated.inputs.values ?? []),
        partner,
        DEFAULT_SEED,
        DEFAULT_SERVICES,
        DEFAULT_TODAY,
      ],
    },
    async build() {
      const db = await openDb({ migrationDirs });
      try {
        await loadDemoData(db, partner);
        return (await db.dump!("none")) as Blob;
      } finally {
        await db.close();
      }
    },
  });
}

// Seeding a partner's database from a dataset that spans every partner (npm start's generated demo
// data, the tests' fixed dataset): the partner's own bundle is imported, and as the owner of its
// services it records the acceptance of every co-delivery any partner in the dataset proposes for
// them. Running partners accept through acceptCouncilCoDelivery instead; seeding stands in for that.
import { recordAcceptances } from "../codelivery.ts";
import type { Db } from "../db/db.ts";
import type { HsdsBundle } from "./format.ts";
import { importHsds } from "./import.ts";
import { validateHsds } from "./validate.ts";

/**
 * Imports `dataset[partner]` into `db` and records the co-delivery acceptances (`actor` in the
 * audit). Returns the services loaded, or null when the dataset has nothing for the partner (one
 * added after the dataset was made).
 */
export async function seedPartner(
  db: Db,
  partner: string,
  dataset: Readonly<Record<string, unknown>>,
  actor: string,
): Promise<number | null> {
  if (!dataset[partner]) return null;
  const result = await importHsds(db, validateHsds(dataset[partner]));
  for (const bundle of Object.values(dataset))
    if (bundle)
      await recordAcceptances(db, partner, (bundle as HsdsBundle).co_deliveries ?? [], actor);
  return result.services;
}

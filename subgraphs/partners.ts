// Each partner's subgraph module, found from the partner registry (subgraphs/<id>/partner.json →
// schema/partners.json): subgraphs/<id>/server.ts exports createServer and migrationDirs.
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import type { Db } from "./kit/db/db.ts";
import type { BatchObserver } from "./kit/loaders.ts";
import type { PartnerServer } from "./kit/partner.server.ts";

export interface PartnerModule {
  createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer>;
  migrationDirs: string[];
}

export const PARTNER_MODULES: Record<PartnerId, PartnerModule> = Object.fromEntries(
  await Promise.all(
    PARTNERS.map(async (p) => [p, (await import(`./${p}/server.ts`)) as PartnerModule] as const),
  ),
);

// The partner registry: each partner's subgraph factory and extra migrations. Adding a partner
// means a folder under subgraphs/, an entry in schema/vocabulary.ts PARTNERS, and a line here.
import type { PartnerId } from "../schema/vocabulary.ts";
import type { Db } from "./kit/db/db.ts";
import type { BatchObserver } from "./kit/loaders.ts";
import type { PartnerServer } from "./kit/partner.server.ts";
import * as council from "./council/server.ts";
import * as charity from "./charity/server.ts";
import * as health from "./health/server.ts";

export interface PartnerModule {
  createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer>;
  migrationDirs: string[];
}

export const PARTNER_MODULES: Record<PartnerId, PartnerModule> = { council, charity, health };

// The health partner subgraph: built here, listened on in index.ts.
import { createPartnerServer, type PartnerServer } from "../kit/partner.server.ts";
import type { Db } from "../kit/db/db.ts";
import type { BatchObserver } from "../kit/loaders.ts";
import { HealthServiceResolver } from "./service/service.resolver.ts";
import { HealthServiceMutationResolver } from "./service/service.mutation.ts";
import { HealthOrganizationResolver } from "./organization/organization.resolver.ts";

export const migrationDirs: string[] = [];

export function createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer> {
  return createPartnerServer({
    partner: "health",
    db,
    resolvers: [HealthServiceResolver, HealthServiceMutationResolver, HealthOrganizationResolver],
    observeBatches,
  });
}

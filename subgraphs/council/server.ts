// The council partner subgraph: built here, listened on in index.ts.
import { createPartnerServer, type PartnerServer } from "../kit/partner.server.ts";
import type { Db } from "../kit/db/db.ts";
import type { BatchObserver } from "../kit/loaders.ts";
import { CouncilServiceResolver } from "./service/service.resolver.ts";
import { CouncilServiceMutationResolver } from "./service/service.mutation.ts";
import { CouncilOrganizationResolver } from "./organization/organization.resolver.ts";
import {
  CouncilCoDeliveryConsentResolver,
  createConsentLoader,
} from "./codelivery/consent.resolver.ts";

export const migrationDirs: string[] = [];

export function createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer> {
  return createPartnerServer({
    partner: "council",
    db,
    resolvers: [
      CouncilServiceResolver,
      CouncilServiceMutationResolver,
      CouncilOrganizationResolver,
      CouncilCoDeliveryConsentResolver,
    ],
    extendContext: () => ({ acceptedCoDeliveries: createConsentLoader(db) }),
    observeBatches,
  });
}

// The charity partner subgraph: built here, listened on in index.ts.
import { createPartnerServer, type PartnerServer } from "../kit/partner.server.ts";
import type { Db } from "../kit/db/db.ts";
import type { BatchObserver } from "../kit/loaders.ts";
import { CharityServiceResolver } from "./service/service.resolver.ts";
import { CharityServiceMutationResolver } from "./service/service.mutation.ts";
import { CharityOrganizationResolver } from "./organization/organization.resolver.ts";
import {
  CoDeliveryResolver,
  CouncilServiceCoDeliveryResolver,
} from "./codelivery/codelivery.resolver.ts";
import { createCoDeliveryLoader } from "./codelivery/codelivery.loader.ts";
import { CoDelivery, CouncilServiceCoDelivered } from "./codelivery/codelivery.type.ts";

export const migrationDirs: string[] = [];

export function createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer> {
  return createPartnerServer({
    partner: "charity",
    db,
    resolvers: [
      CharityServiceResolver,
      CharityServiceMutationResolver,
      CharityOrganizationResolver,
      CouncilServiceCoDeliveryResolver,
      CoDeliveryResolver,
    ],
    // Reachable only through _entities, so type-graphql must be told to keep them.
    orphanedTypes: [CouncilServiceCoDelivered, CoDelivery],
    referenceResolvers: {
      // Any council service may be co-delivered; an unknown one simply has no co-delivery rows.
      // The representation carries the council's acceptedCoDeliveries (@requires).
      CouncilService: {
        __resolveReference: (ref: { id: string; acceptedCoDeliveries?: string[] }) => ({
          id: ref.id,
          acceptedCoDeliveries: ref.acceptedCoDeliveries ?? [],
        }),
      },
    },
    extendContext: () => ({ coDelivery: createCoDeliveryLoader(db, observeBatches) }),
    observeBatches,
  });
}

import { Resolver } from "type-graphql";
import { createServiceUpdateResolverBase } from "../../kit/service.update.ts";
import { CouncilService } from "./service.type.ts";

/** updateCouncilService and councilServiceAudit, for council partner admins. */
@Resolver(() => CouncilService)
export class CouncilServiceMutationResolver extends createServiceUpdateResolverBase(
  CouncilService,
  "council",
) {}

import { Resolver } from "type-graphql";
import { createServiceUpdateResolverBase } from "../../kit/service.update.ts";
import { CharityService } from "./service.type.ts";

/** updateCharityService and charityServiceAudit, for charity partner admins. */
@Resolver(() => CharityService)
export class CharityServiceMutationResolver extends createServiceUpdateResolverBase(
  CharityService,
  "charity",
) {}

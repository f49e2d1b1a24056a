import { Resolver } from "type-graphql";
import { createServiceUpdateResolverBase } from "../../kit/service.update.ts";
import { HealthService } from "./service.type.ts";

/** updateHealthService and healthServiceAudit, for health partner admins. */
@Resolver(() => HealthService)
export class HealthServiceMutationResolver extends createServiceUpdateResolverBase(
  HealthService,
  "health",
) {}

import { Resolver } from "type-graphql";
import { createOrganizationResolverBase } from "../../kit/partner.types.ts";
import { HealthService } from "../service/service.type.ts";
import { HealthOrganization } from "./organization.type.ts";

@Resolver(() => HealthOrganization)
export class HealthOrganizationResolver extends createOrganizationResolverBase(
  HealthOrganization,
  HealthService,
  "health",
) {}

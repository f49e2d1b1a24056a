import { Resolver } from "type-graphql";
import { createOrganizationResolverBase } from "../../kit/partner.types.ts";
import { CouncilService } from "../service/service.type.ts";
import { CouncilOrganization } from "./organization.type.ts";

@Resolver(() => CouncilOrganization)
export class CouncilOrganizationResolver extends createOrganizationResolverBase(
  CouncilOrganization,
  CouncilService,
  "council",
) {}

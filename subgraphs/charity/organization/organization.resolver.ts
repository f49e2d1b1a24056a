import { Resolver } from "type-graphql";
import { createOrganizationResolverBase } from "../../kit/partner.types.ts";
import { CharityService } from "../service/service.type.ts";
import { CharityOrganization } from "./organization.type.ts";

@Resolver(() => CharityOrganization)
export class CharityOrganizationResolver extends createOrganizationResolverBase(
  CharityOrganization,
  CharityService,
  "charity",
) {}

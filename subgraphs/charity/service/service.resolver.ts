import { Resolver } from "type-graphql";
import { createServiceResolverBase } from "../../kit/partner.types.ts";
import { CharityService } from "./service.type.ts";
import { Organization } from "../base.ts";

@Resolver(() => CharityService)
export class CharityServiceResolver extends createServiceResolverBase(
  CharityService,
  Organization,
) {}

import { Resolver } from "type-graphql";
import { createServiceResolverBase } from "../../kit/partner.types.ts";
import { CouncilService } from "./service.type.ts";
import { Organization } from "../base.ts";

@Resolver(() => CouncilService)
export class CouncilServiceResolver extends createServiceResolverBase(
  CouncilService,
  Organization,
) {}

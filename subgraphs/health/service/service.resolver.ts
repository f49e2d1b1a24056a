import { Resolver } from "type-graphql";
import { createServiceResolverBase } from "../../kit/partner.types.ts";
import { HealthService } from "./service.type.ts";
import { Organization } from "../base.ts";

@Resolver(() => HealthService)
export class HealthServiceResolver extends createServiceResolverBase(HealthService, Organization) {}

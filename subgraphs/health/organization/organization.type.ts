import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("HealthOrganization", {
  implements: Organization,
  description: "An NHS trust or health board that runs services.",
})
export class HealthOrganization extends Organization {}

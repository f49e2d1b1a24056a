import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("CharityOrganization", {
  implements: Organization,
  description: "A charity or voluntary organization that runs services.",
})
export class CharityOrganization extends Organization {}

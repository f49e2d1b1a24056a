import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("CouncilOrganization", {
  implements: Organization,
  description: "A council, or a council department, that runs services.",
})
export class CouncilOrganization extends Organization {}

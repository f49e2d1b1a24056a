import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

// Shareable: the directory's search and route results carry the organization's name from its copy
// (@provides in subgraphs/directory/types/provided.ts); this subgraph still owns it.
@Directive("@shareable")
@Directive('@key(fields: "id")')
@ObjectType("CharityOrganization", {
  implements: Organization,
  description: "A charity or voluntary organization that runs services.",
})
export class CharityOrganization extends Organization {}

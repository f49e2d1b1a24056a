import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

// Shareable: the directory's search and route results carry the organization's name from its copy
// (@provides in subgraphs/directory/types/provided.ts); this subgraph still owns it.
@Directive("@shareable")
@Directive('@key(fields: "id")')
@ObjectType("HealthOrganization", {
  implements: Organization,
  description: "An NHS trust or health board that runs services.",
})
export class HealthOrganization extends Organization {}

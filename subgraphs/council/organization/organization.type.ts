import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

// Shareable: the directory's search and route results carry the organization's name from its copy
// (@provides in subgraphs/directory/types/provided.ts); this subgraph still owns it.
@Directive("@shareable")
@Directive('@key(fields: "id")')
@ObjectType("CouncilOrganization", {
  implements: Organization,
  description: "A council, or a council department, that runs services.",
})
export class CouncilOrganization extends Organization {}

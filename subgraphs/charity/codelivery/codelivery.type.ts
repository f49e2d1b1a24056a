// Jointly delivered services: the council owns the service; the charity adds who from the charity
// co-delivers it, with what share of the staff. These fields live in the charity's subgraph.
import { Directive, Field, Float, ID, ObjectType } from "type-graphql";

@ObjectType("CoDelivery", { description: "A charity's part in delivering another partner's service." })
export class CoDelivery {
  @Field(() => ID, { description: "The charity's co-delivery record id." })
  id!: string;

  @Field(() => String, { description: "What the charity does in the service, e.g. \"Family support workers\"." })
  role!: string;

  @Field(() => Float, { nullable: true, description: "Share of the service's staff the charity provides (0–1; 0.5 = half)." })
  staffShare!: number | null;

  @Field(() => String, { nullable: true, description: "Who to contact at the charity about its part." })
  contactEmail!: string | null;

  organizationId!: string;
}

@Directive('@key(fields: "id")')
@ObjectType("CouncilService", { description: "A council-owned service; the charity subgraph adds co-delivery." })
export class CouncilServiceCoDelivered {
  @Field(() => ID, { description: "Global service id, \"council:<id>\"." })
  id!: string;
}

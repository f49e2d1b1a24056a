// Jointly delivered services: the council owns the service; the charity proposes who from the
// charity co-delivers it, with what share of the staff, and the council accepts or removes the
// proposal (subgraphs/council/codelivery). These fields live in the charity's subgraph.
import { Directive, Field, Float, ID, ObjectType } from "type-graphql";

@ObjectType("CoDelivery", {
  description: "A charity's part in delivering another partner's service.",
})
export class CoDelivery {
  @Field(() => ID, { description: "The charity's co-delivery record id." })
  id!: string;

  @Field(() => String, {
    description: 'What the charity does in the service, e.g. "Family support workers".',
  })
  role!: string;

  @Field(() => Float, {
    nullable: true,
    description: "Share of the service's staff the charity provides (0–1; 0.5 = half).",
  })
  staffShare!: number | null;

  @Field(() => String, {
    nullable: true,
    description: "Who to contact at the charity about its part.",
  })
  contactEmail!: string | null;

  @Field(() => String, {
    description:
      "Identifies this exact content (organization, role, share, contact); the council accepts a fingerprint, so any later change needs accepting again.",
  })
  fingerprint!: string;

  @Field(() => Boolean, {
    description:
      "Whether the service's owner has accepted this content; only accepted co-deliveries are public.",
  })
  accepted!: boolean;

  organizationId!: string;
}

@Directive('@key(fields: "id")')
@ObjectType("CouncilService", {
  description: "A council-owned service; the charity subgraph adds co-delivery.",
})
export class CouncilServiceCoDelivered {
  @Field(() => ID, { description: 'Global service id, "council:<id>".' })
  id!: string;

  @Directive("@external")
  @Field(() => [String], {
    description: "Co-deliveries the council accepted (owned by the council subgraph).",
  })
  acceptedCoDeliveries!: string[];
}

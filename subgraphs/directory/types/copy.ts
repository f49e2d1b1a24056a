// The directory's own copy of a service's listing, as the partner's change feed last gave it. The
// `Service` entity's fields always come from the owning partner; this object is what the directory
// itself knows, so a search or routing entry still says what it is (name, partner, needs, area)
// while that partner is down, and it is the read model issue 14 grows into.
import "reflect-metadata";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateTimeScalar, Need, Partner, ServiceStatus } from "../../../schema/enums.ts";
import type { ServiceDoc } from "../search/types.ts";
import { LocalAuthority, localAuthority } from "./entities.ts";

@ObjectType("DirectoryCopy", {
  description:
    "The directory's copy of a service's listing, from the owning partner's change feed. Shown while that partner is down (when `node`/`service` is null); may lag the partner by a sync interval.",
})
export class DirectoryCopy {
  @Field(() => ID, { description: "The service's global id." }) id!: string;
  @Field(() => Partner, { description: "The partner that owns the service." }) partner!: string;
  @Field(() => String, { description: "Service name." }) name!: string;
  @Field(() => String, { description: "Name of the organization that runs it." })
  organizationName!: string;
  @Field(() => ServiceStatus, { description: "Status when last synced." }) status!: string;
  @Field(() => [Need], { description: "Needs it meets." }) needs!: string[];
  @Field(() => Int, { description: "Youngest age taken (0 when the partner does not say)." })
  minimumAge!: number;
  @Field(() => Int, { description: "Oldest age taken (25 when the partner does not say)." })
  maximumAge!: number;
  @Field(() => [String], { description: "GSS codes of the local authorities it serves." })
  localAuthorityCodes!: string[];
  @Field(() => [LocalAuthority], {
    description: "The local authorities it serves (those Wayfinder knows).",
  })
  areas!: LocalAuthority[];
  @Field(() => Boolean, { description: "Accepting referrals when last synced." })
  acceptingReferrals!: boolean;
  @Field(() => Int, { nullable: true, description: "Typical wait in weeks when last synced." })
  typicalWaitWeeks!: number | null;
  @Field(() => DateTimeScalar, { description: "When the partner last changed the service." })
  lastModified!: Date;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the directory last synced the partner successfully.",
  })
  syncedAt!: Date | null;
}

export function directoryCopy(doc: ServiceDoc, syncedAt: Date | null): DirectoryCopy {
  return {
    id: doc.id,
    partner: doc.partner.toUpperCase(),
    name: doc.name,
    organizationName: doc.organizationName,
    status: doc.status,
    needs: doc.needs,
    minimumAge: doc.minAge,
    maximumAge: doc.maxAge,
    localAuthorityCodes: doc.localAuthorities,
    areas: doc.localAuthorities
      .map(localAuthority)
      .filter((la): la is LocalAuthority => la !== null),
    acceptingReferrals: doc.acceptingReferrals,
    typicalWaitWeeks: doc.typicalWaitWeeks,
    lastModified: new Date(doc.lastModified),
    syncedAt,
  };
}

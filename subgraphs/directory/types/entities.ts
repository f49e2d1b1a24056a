// The directory's side of the federation design: it owns the `Service` and `Organization` entity
// interfaces (so clients read common fields without per-partner fragments) and must list every
// partner's implementation. Each implementation here is a stub whose common fields are @external:
// the owning partner resolves them. Adding a partner to PARTNERS adds its stubs.
import "reflect-metadata";
import {
  Directive,
  Field,
  Float,
  ID,
  InterfaceType,
  ObjectType,
  type ClassType,
} from "type-graphql";
import { GraphQLError } from "graphql";
import { Partner } from "../../../schema/enums.ts";
import { PARTNERS, PARTNER_INFO, isPartnerId, type PartnerId } from "../../../schema/vocabulary.ts";
import { allAreas, localAuthorityInfo, type AreaInfo } from "../../../schema/areas.ts";
import { ORGANIZATION_FIELDS, applyFields, serviceFields } from "../../kit/types/service.fields.ts";
import { parseGlobalId } from "../../kit/service.map.ts";

@Directive('@key(fields: "code")')
@ObjectType("LocalAuthority", {
  description:
    "A UK local authority (ONS GSS code): district, unitary, London borough, county, Welsh principal area, Scottish council area or Northern Ireland district. Services list the areas whose children they take.",
})
export class LocalAuthority {
  @Field(() => String, {
    description: 'ONS GSS code, e.g. "E10000020" (Norfolk), "E07000148" (Norwich).',
  })
  code!: string;

  @Field(() => String, {
    description: 'Official name (ONS), e.g. "Norfolk", "King\'s Lynn and West Norfolk".',
  })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Welsh name, for Welsh principal areas ("Casnewydd").',
  })
  nameWelsh!: string | null;

  @Field(() => String, { description: "The nation: England, Wales, Scotland or Northern Ireland." })
  region!: string;

  @Field(() => String, {
    description:
      'Kind of authority: "county", "non-metropolitan district", "unitary authority", "London borough" …',
  })
  type!: string;

  @Field(() => String, {
    description:
      '"upper" (an English county), "lower" (a district in a county) or "unitary" (all others).',
  })
  tier!: string;

  @Field(() => Float, {
    description: "Latitude of the area's centre (ONS centroid; computed for counties).",
  })
  latitude!: number;

  @Field(() => Float, { description: "Longitude of the area's centre." })
  longitude!: number;

  countyCode!: string | null;
  upperTierCode!: string;
  districtCodes!: string[];
  neighbourCodes!: string[];
}

function toLocalAuthority(la: AreaInfo): LocalAuthority {
  return {
    code: la.code,
    name: la.name,
    nameWelsh: la.nameWelsh,
    region: la.country,
    type: la.type,
    tier: la.tier,
    latitude: la.lat,
    longitude: la.lng,
    countyCode: la.county,
    upperTierCode: la.upperTier,
    districtCodes: la.districts,
    neighbourCodes: la.neighbours,
  };
}

export function localAuthority(code: string): LocalAuthority | null {
  const la = localAuthorityInfo(code);
  return la ? toLocalAuthority(la) : null;
}
export const allLocalAuthorities = () => allAreas().map(toLocalAuthority);

const typeName = (partner: PartnerId, entity: "Service" | "Organization") =>
  `${PARTNER_INFO[partner].typePrefix}${entity}`;

/**
 * Picks the implementation from the id's partner prefix ("council:…" → CouncilService), at once
 * (the gateway's route replica resolves the directory's entities with it too).
 */
export function resolveByIdPrefix(entity: "Service" | "Organization") {
  return (value: { id: string }) => {
    const partner = parseGlobalId(value.id)?.partner;
    if (!partner || !isPartnerId(partner))
      throw new GraphQLError(`Unknown partner in id "${value.id}"`);
    return typeName(partner, entity);
  };
}

@Directive('@key(fields: "id")')
@InterfaceType("Organization", {
  description:
    "An organization that runs services (HSDS organization). Each partner owns its own organizations.",
  resolveType: resolveByIdPrefix("Organization"),
})
export abstract class OrganizationEntity {}
applyFields(OrganizationEntity, ORGANIZATION_FIELDS);

/**
 * `Location` as the directory knows it: only the public, area-level fields its copy holds (never an
 * address or exact position). A value type may differ between subgraphs, so the planner sends a
 * query that wants `latitude`, `address` or `exact` to the owning partner for its locations.
 */
@Directive("@shareable")
@ObjectType("Location", {
  description:
    "Where a service is delivered (HSDS location). A confidential location (such as a refuge) never shows its address or exact position to the public: `address`, `latitude` and `longitude` are null and `area` says roughly where it is.",
})
export class DirectoryLocation {
  @Field(() => ID, { description: "The partner's location id." })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Name of the place, e.g. "Pill Family Hub".',
  })
  name!: string | null;

  @Field(() => String, { description: "HSDS location type: physical, postal or virtual." })
  locationType!: string;

  @Field(() => Boolean, { description: "True for places whose address must never be public." })
  confidential!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'A public, area-level description: the town and postcode district (e.g. "Norwich, NR2").',
  })
  area!: string | null;
}

const SERVICE_FIELDS = serviceFields({
  Organization: () => OrganizationEntity,
  LocalAuthority: () => LocalAuthority,
  Location: () => DirectoryLocation,
});
const PARTNER_FIELD = {
  name: "partner",
  type: () => Partner,
  description: "The partner that owns the service and resolves its fields.",
};

@Directive('@key(fields: "id")')
@InterfaceType("Service", {
  description:
    "A service for children and families, owned by exactly one partner (council, charity or health). Common fields are on this interface, so no per-partner fragments are needed; each partner's type (CouncilService, CharityService, HealthService) may add its own.",
  resolveType: resolveByIdPrefix("Service"),
})
export abstract class ServiceEntity {}
applyFields(ServiceEntity, [PARTNER_FIELD, ...SERVICE_FIELDS]);

function stub(
  partner: PartnerId,
  entity: "Service" | "Organization",
  iface: Function,
  fields: typeof SERVICE_FIELDS,
) {
  const name = typeName(partner, entity);
  const Stub = { [name]: class {} }[name]!;
  applyFields(
    Stub,
    fields.filter((f) => f.name === "id"),
  );
  applyFields(
    Stub,
    fields.filter((f) => f.name !== "id" && f.name !== "partner"),
    { external: true },
  );
  if (entity === "Service") applyFields(Stub, [PARTNER_FIELD]);
  Directive('@key(fields: "id")')(Stub);
  ObjectType(name, {
    implements: iface as ClassType,
    description: `${PARTNER_INFO[partner].label}: ${PARTNER_INFO[partner].description}`,
  })(Stub);
  return Stub;
}

export const SERVICE_STUBS = PARTNERS.map((p) => stub(p, "Service", ServiceEntity, SERVICE_FIELDS));
export const ORGANIZATION_STUBS = PARTNERS.map((p) =>
  stub(p, "Organization", OrganizationEntity, ORGANIZATION_FIELDS),
);

export interface ServiceRef {
  id: string;
  partner: string;
}

/** A reference the gateway completes from the owning partner. */
export function serviceRef(id: string): ServiceRef {
  return { id, partner: (parseGlobalId(id)?.partner ?? "").toUpperCase() };
}

export function directoryReferenceResolvers() {
  const resolvers: Record<
    string,
    { __resolveReference: (ref: { id?: string; code?: string }) => unknown }
  > = {
    LocalAuthority: { __resolveReference: (ref) => localAuthority(ref.code ?? "") },
  };
  for (const p of PARTNERS) {
    resolvers[typeName(p, "Service")] = { __resolveReference: (ref) => serviceRef(ref.id ?? "") };
    resolvers[typeName(p, "Organization")] = { __resolveReference: (ref) => ({ id: ref.id }) };
  }
  return resolvers;
}

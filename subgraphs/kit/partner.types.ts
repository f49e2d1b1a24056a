// Building blocks a partner subgraph is made of. A partner's own folder declares its entity types
// by extending these bases, so every partner honours the same Service contract.
import "reflect-metadata";
import {
  Arg,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  InterfaceType,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
  type ClassType,
} from "type-graphql";
import {
  GraphQLError,
  isAbstractType,
  isObjectType,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import { ORGANIZATION_FIELDS, applyFields, serviceFields } from "./types/service.fields.ts";
import { Contact, Language, Location, Schedule, CostOption, TaxonomyTerm } from "./types/values.ts";
import type { PartnerLoaders } from "./loaders.ts";
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { Db } from "./db/db.ts";
import type { Claims } from "../../platform/claims.ts";
import type { OrganizationModel, ServiceModel } from "./service.map.ts";
import { parseGlobalId, toOrganization } from "./service.map.ts";
import { listOrganizations, type Relation } from "./service.data.ts";

export interface PartnerContext {
  partner: PartnerId;
  db: Db;
  loaders: PartnerLoaders;
  /** Verified claims the gateway sent for this request. */
  claims: Claims;
}

@Directive('@key(fields: "code", resolvable: false)')
@ObjectType("LocalAuthority", { description: "A local authority area, owned by the directory." })
export class LocalAuthorityRef {
  @Field(() => String, { description: 'ONS GSS code, e.g. "E10000020" for Norfolk.' })
  code!: string;
}

/**
 * A partner's base classes: its own `Organization` interface and a service base class carrying the
 * Service contract. Each partner gets fresh classes because type-graphql puts every implementation
 * of an interface class into a schema; shared classes would drag one partner's types into another's.
 */
export function createPartnerBases() {
  @InterfaceType("Organization", {
    description:
      "An organization that runs services (HSDS organization). Each partner owns its own organizations.",
    resolveType: (value: { __typename: string }) => value.__typename,
  })
  abstract class Organization {}
  applyFields(Organization, ORGANIZATION_FIELDS);

  // Decorated so subclasses inherit its fields; never referenced, so never emitted as a type.
  @ObjectType("PartnerServiceBase")
  abstract class ServiceBase {}
  applyFields(
    ServiceBase,
    serviceFields({ Organization: () => Organization, LocalAuthority: () => LocalAuthorityRef }),
    { access: true },
  );

  return { Organization, ServiceBase };
}

const SERVICE_FIELDS = serviceFields({ Organization: () => Object, LocalAuthority: () => Object });
// A field resolver replaces its field's metadata, so it carries the contract's description too.
const describe = (name: string) => ({
  description: SERVICE_FIELDS.find((f) => f.name === name)?.description,
});

/** Field resolvers shared by every partner's service type; all go through per-request loaders. */
export function createServiceResolverBase(ServiceType: ClassType, OrganizationInterface: Function) {
  // Not listed in buildSchema resolvers itself: each partner's subclass inherits these resolvers.
  @Resolver(() => ServiceType)
  abstract class ServiceResolverBase {
    @Directive("@shareable")
    @FieldResolver(() => OrganizationInterface, describe("organization"))
    async organization(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      const org = await ctx.loaders.organization.load(s.organizationId);
      if (!org)
        throw new GraphQLError(`Organization ${s.organizationId} not found`, {
          extensions: { code: "NOT_FOUND" },
        });
      return org;
    }

    // A field resolver replaces the field's directives: restate @shareable (see FieldSpec.copied).
    @Directive("@shareable")
    @FieldResolver(() => [Location], describe("locations"))
    locations(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.locations.load(s.hsdsId);
    }

    @Directive("@shareable")
    @FieldResolver(() => [LocalAuthorityRef], describe("serviceAreas"))
    serviceAreas(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.serviceAreas.load(s.hsdsId);
    }

    @FieldResolver(() => [Schedule], describe("schedules"))
    schedules(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.schedules.load(s.hsdsId);
    }

    @FieldResolver(() => [CostOption], describe("costOptions"))
    costOptions(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.costOptions.load(s.hsdsId);
    }

    @FieldResolver(() => [Contact], describe("contacts"))
    async contacts(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      // Professional-only routes (duty desks, direct lines) stay out of the public schema.
      const all = (await ctx.loaders.children.contacts.load(s.hsdsId)) as {
        professionalOnly: boolean;
      }[];
      return all.filter((c) => !c.professionalOnly);
    }

    // A field resolver replaces the field's directives too, so the access rule is restated here.
    @Directive(SERVICE_FIELDS.find((f) => f.name === "professionalContacts")!.access!)
    @FieldResolver(() => [Contact], { ...describe("professionalContacts"), nullable: true })
    async professionalContacts(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      const all = (await ctx.loaders.children.contacts.load(s.hsdsId)) as {
        professionalOnly: boolean;
      }[];
      return all.filter((c) => c.professionalOnly);
    }

    @FieldResolver(() => [Language], describe("languages"))
    languages(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.languages.load(s.hsdsId);
    }

    @FieldResolver(() => [TaxonomyTerm], describe("taxonomyTerms"))
    taxonomyTerms(@Root() s: ServiceModel, @Ctx() ctx: PartnerContext) {
      return ctx.loaders.children.taxonomyTerms.load(s.hsdsId);
    }
  }
  return ServiceResolverBase;
}

/** Organization field resolvers plus the partner's `<partner>Organizations` listing query. */
export function createOrganizationResolverBase(
  OrganizationType: ClassType,
  ServiceType: ClassType,
  partner: PartnerId,
) {
  @Resolver(() => OrganizationType)
  abstract class OrganizationResolverBase {
    @Query(() => [OrganizationType], {
      name: `${partner}Organizations`,
      description: `Organizations in the ${partner} partner's directory, by name.`,
    })
    async organizations(
      @Ctx() ctx: PartnerContext,
      @Arg("first", () => Int, { defaultValue: 50, description: "Page size, 1–200." })
      first: number,
      @Arg("offset", () => Int, { defaultValue: 0, description: "Rows to skip." }) offset: number,
    ): Promise<OrganizationModel[]> {
      if (first < 1 || first > 200 || offset < 0) {
        throw new GraphQLError("first must be 1–200 and offset must be 0 or more", {
          extensions: {
            code: "BAD_USER_INPUT",
            field: first < 1 || first > 200 ? "first" : "offset",
          },
        });
      }
      return (await listOrganizations(ctx.db, first, offset)).map((r) =>
        toOrganization(partner, r),
      );
    }

    // Paginated so that a query's cost can bound it: nesting services { organization { services
    // … } } would otherwise multiply by an organization's whole catalogue at every level.
    @FieldResolver(() => [ServiceType], {
      description: "The organization's current services, by name.",
    })
    services(
      @Root() o: OrganizationModel,
      @Ctx() ctx: PartnerContext,
      @Arg("first", () => Int, { defaultValue: 50, description: "Page size, 1–200." })
      first: number,
      @Arg("offset", () => Int, { defaultValue: 0, description: "Services to skip." })
      offset: number,
    ) {
      if (first < 1 || first > 200 || offset < 0) {
        throw new GraphQLError("first must be 1–200 and offset must be 0 or more", {
          extensions: {
            code: "BAD_USER_INPUT",
            field: first < 1 || first > 200 ? "first" : "offset",
          },
        });
      }
      return ctx.loaders.servicesByOrganization.load({ organizationId: o.hsdsId, first, offset });
    }
  }
  return OrganizationResolverBase;
}

// The service fields whose resolvers above read a relation's loader.
const RELATION_OF_FIELD: Record<string, Relation> = {
  organization: "organization",
  locations: "locations",
  serviceAreas: "serviceAreas",
  schedules: "schedules",
  costOptions: "costOptions",
  contacts: "contacts",
  professionalContacts: "contacts",
  languages: "languages",
  taxonomyTerms: "taxonomyTerms",
};

// Per `_entities` field node and type: parsed documents are cached by Apollo Server, so a query
// the gateway sends again is looked at once per process, not once per request.
const relationsByNode = new WeakMap<FieldNode, Map<string, Relation[]>>();

/**
 * The relations an `_entities` fetch selects on entities of type `typeName` (directly, or in
 * fragments on it or on an abstract type it belongs to). A field under @skip/@include is left out:
 * its loader then fetches it on its own if it runs, so a miss costs a query, never a wrong answer.
 */
export function relationsSelected(info: GraphQLResolveInfo | undefined, typeName: string) {
  const node = info?.fieldNodes[0];
  if (!info || !node?.selectionSet) return [];
  let byType = relationsByNode.get(node);
  if (!byType) relationsByNode.set(node, (byType = new Map()));
  let found = byType.get(typeName);
  if (found) return found;
  const type = info.schema.getType(typeName);
  const applies = (condition: string | undefined) => {
    if (!condition || condition === typeName) return true;
    const t = info.schema.getType(condition);
    return !!t && isAbstractType(t) && isObjectType(type) && info.schema.isSubType(t, type);
  };
  const relations = new Set<Relation>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const sel of set.selections) {
      if (sel.directives?.length) continue;
      if (sel.kind === "Field") {
        const relation = RELATION_OF_FIELD[sel.name.value];
        if (relation) relations.add(relation);
      } else if (sel.kind === "InlineFragment") {
        if (applies(sel.typeCondition?.name.value)) visit(sel.selectionSet, seen);
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = info.fragments[sel.name.value];
        if (fragment && applies(fragment.typeCondition.name.value))
          visit(fragment.selectionSet, seen);
      }
    }
  };
  visit(node.selectionSet, new Set());
  found = [...relations];
  byType.set(typeName, found);
  return found;
}

/** __resolveReference for a partner's Service and Organization entities, batched through loaders. */
export function partnerReferenceResolvers(partner: PartnerId, typePrefix: string) {
  const hsdsIdOf = (id: string) => {
    const parsed = parseGlobalId(id);
    return parsed && parsed.partner === partner ? parsed.hsdsId : null;
  };
  return {
    [`${typePrefix}Service`]: {
      __resolveReference: (ref: { id: string }, ctx: PartnerContext, info?: GraphQLResolveInfo) => {
        const hsdsId = hsdsIdOf(ref.id);
        if (!hsdsId) return null;
        // The relations this fetch selects come in the services' own query (loaders.ts).
        ctx.loaders.include(relationsSelected(info, `${typePrefix}Service`));
        return ctx.loaders.service.load(hsdsId);
      },
    },
    [`${typePrefix}Organization`]: {
      __resolveReference: (ref: { id: string }, ctx: PartnerContext) => {
        const hsdsId = hsdsIdOf(ref.id);
        return hsdsId ? ctx.loaders.organization.load(hsdsId) : null;
      },
    },
  };
}

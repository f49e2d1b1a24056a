// searchServices and service(id). A search page is answered from the directory's copy: each hit's
// node carries the provided fields (types/provided.ts) from the document the index matched, so a
// page that shows only those fields is one subgraph fetch; any other field is completed by the
// owning partner, one _entities call per partner per page. service(id) is a reference: the partner
// answers it.
import "reflect-metadata";
import {
  Arg,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { DirectoryCopy, directoryCopy } from "./types/copy.ts";
import { GraphQLError } from "graphql";
import { isPartnerId } from "../../schema/vocabulary.ts";
import { ServiceEntity, serviceRef } from "./types/entities.ts";
import { PROVIDES_SERVICE_CARD, serviceFromDoc } from "./types/provided.ts";
import type { ServiceDoc } from "./search/types.ts";
import { Directive } from "type-graphql";
import { NearInput, SearchSort, ServiceFilter } from "./search.input.ts";
import { areasServing } from "../../schema/areas.ts";
import type { DirectoryContext } from "./context.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import {
  FACET_NAMES,
  MAX_LIMIT,
  MAX_WINDOW,
  type SearchFilter,
  type SearchRequest,
} from "./search/types.ts";
import { parseGlobalId } from "../kit/service.map.ts";

const badInput = (message: string, field: string) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", field } });

@ObjectType("ServiceEdge", { description: "One search result." })
export class ServiceEdge {
  @Field(() => String, { description: "Opaque cursor for `after`." })
  cursor!: string;

  @Directive(PROVIDES_SERVICE_CARD)
  @Field(() => ServiceEntity, {
    nullable: true,
    description:
      "The service. What a result shows (name, partner, description, status, needs, ages, referral routes, delivery, capacity, funding, organization name, locations' public area, service areas) comes from the directory's copy, the same one the filters ran on; other fields come from the owning partner, and are null (with an error naming the partner) when that partner could not answer.",
  })
  node!: unknown;

  @Field(() => Float, {
    nullable: true,
    description: "Distance in km from `near`, when given and the service has a location.",
  })
  distanceKm!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      "HTML snippet with matched words in <mark>…</mark>; all other text is escaped. Null without a query.",
  })
  highlight!: string | null;

  @Field(() => Boolean, {
    description:
      "True when the owning partner cannot be reached now: the entry (and `node`'s copied fields) may be out of date; fields only the partner has are null. `directoryCopy.syncedAt` says when the copy was last refreshed.",
  })
  stale!: boolean;

  /** The hit's id, for directoryCopy. */
  id!: string;
  /** The document the hit was matched against. */
  doc!: ServiceDoc | null;
}

@Resolver(() => ServiceEdge)
export class ServiceEdgeResolver {
  @FieldResolver(() => DirectoryCopy, {
    nullable: true,
    description:
      "The directory's own copy of this service's listing (name, partner, needs, area …), answered without asking the partner: what to show while `stale` is true.",
  })
  async directoryCopy(
    @Root() edge: ServiceEdge,
    @Ctx() ctx: DirectoryContext,
  ): Promise<DirectoryCopy | null> {
    const doc =
      edge.doc ?? (ctx.docs ? await ctx.docs.load(edge.id) : (await ctx.backend.get([edge.id]))[0]);
    if (!doc) return null;
    return directoryCopy(doc, ctx.sync.status.get(doc.partner as never)?.lastSyncAt ?? null);
  }
}

@ObjectType("PageInfo", { description: "Relay-style pagination state." })
export class PageInfo {
  @Field(() => Boolean, { description: "More results after this page." })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: "Results before this page." })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the first edge." })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Cursor of the last edge; pass as `after` for the next page.",
  })
  endCursor!: string | null;
}

@ObjectType("FacetCount", { description: "How many results have a value." })
export class FacetCount {
  @Field(() => String, {
    description: 'The value (a need code, partner, GSS code, age band, "free"/"paid", …).',
  })
  value!: string;

  @Field(() => Int, { description: "Number of results with the value." })
  count!: number;
}

@ObjectType("SearchFacets", {
  description: "Counts over the whole result set (not just the page), for filter UIs.",
})
export class SearchFacets {
  @Field(() => [FacetCount], { description: "By need." }) needs!: FacetCount[];
  @Field(() => [FacetCount], { description: "By partner (council, charity, health)." })
  partner!: FacetCount[];
  @Field(() => [FacetCount], { description: "By local authority GSS code." })
  localAuthority!: FacetCount[];
  @Field(() => [FacetCount], { description: "By age band." }) ageBand!: FacetCount[];
  @Field(() => [FacetCount], { description: '"free" or "paid".' }) cost!: FacetCount[];
  @Field(() => [FacetCount], { description: "By referral route." }) referralRoute!: FacetCount[];
  @Field(() => [FacetCount], { description: "By language code." }) language!: FacetCount[];
  @Field(() => [FacetCount], { description: "By delivery mode." }) deliveryMode!: FacetCount[];
  @Field(() => [FacetCount], {
    description:
      'By number of locations ("0", "1", "2" …): how many service–location pairs a search holds.',
  })
  locationCount!: FacetCount[];
}

@ObjectType("ServiceConnection", { description: "A page of services with totals and facets." })
export class ServiceConnection {
  @Field(() => Int, { description: "Results across all pages." })
  totalCount!: number;

  @Field(() => [ServiceEdge], { description: "This page's results, in order." })
  edges!: ServiceEdge[];

  @Field(() => PageInfo, { description: "Cursors for the next page." })
  pageInfo!: PageInfo;

  @Field(() => SearchFacets, { description: "Facet counts over the whole result set." })
  facets!: SearchFacets;
}

const FACET_FIELDS: Record<(typeof FACET_NAMES)[number], keyof SearchFacets> = {
  needs: "needs",
  partner: "partner",
  localAuthorities: "localAuthority",
  ageBands: "ageBand",
  cost: "cost",
  referralRoutes: "referralRoute",
  languages: "language",
  deliveryModes: "deliveryMode",
  locationCount: "locationCount",
};

/** A time of day as the filters take it: HH:MM, 24-hour. */
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function toSearchFilter(filter: ServiceFilter | undefined | null): SearchFilter {
  if (!filter) return {};
  if (filter.age !== undefined && filter.age !== null && (filter.age < 0 || filter.age > 120)) {
    throw badInput("filter.age must be between 0 and 120", "filter.age");
  }
  if (filter.openAt?.time && !HHMM.test(filter.openAt.time)) {
    throw badInput("filter.openAt.time must be HH:MM (24-hour)", "filter.openAt.time");
  }
  if (filter.ids && filter.ids.length > MAX_LIMIT)
    throw badInput(`filter.ids takes at most ${MAX_LIMIT} ids`, "filter.ids");
  for (const [field, list] of [
    ["organizations", filter.organizations],
    ["taxonomyTerms", filter.taxonomyTerms],
    ["taxonomies", filter.taxonomies],
    ["serviceAtLocations", filter.serviceAtLocations],
  ] as const)
    if (list && list.length > MAX_LIMIT)
      throw badInput(`filter.${field} takes at most ${MAX_LIMIT} values`, `filter.${field}`);
  for (const [field, time] of [
    ["startsAtOrAfter", filter.session?.startsAtOrAfter],
    ["endsAtOrBefore", filter.session?.endsAtOrBefore],
  ] as const)
    if (time && !HHMM.test(time))
      throw badInput(`filter.session.${field} must be HH:MM (24-hour)`, `filter.session.${field}`);
  for (const [field, list] of [
    ["localAuthorities", filter.localAuthorities],
    ["languages", filter.languages],
  ] as const) {
    if (list && (list.length > 50 || list.some((v) => v.length > 50))) {
      throw badInput(
        `filter.${field} takes at most 50 values of at most 50 characters`,
        `filter.${field}`,
      );
    }
  }
  return {
    needs: filter.needs ?? undefined,
    needsMatch: filter.needsMatch ?? "ANY",
    age: filter.age ?? undefined,
    // Tiers nest: a Norfolk service serves Norwich, and Norwich's services are part of Norfolk's.
    localAuthorities: filter.localAuthorities
      ? [...new Set(filter.localAuthorities.flatMap(areasServing))]
      : undefined,
    partners: filter.partners?.map((p) => p.toLowerCase()),
    freeOnly: filter.freeOnly ?? undefined,
    referralRoutes: filter.referralRoutes ?? undefined,
    languages: filter.languages?.map((l) => l.toLowerCase()),
    deliveryModes: filter.deliveryModes ?? undefined,
    acceptingReferrals: filter.acceptingReferrals ?? undefined,
    openAt: filter.openAt
      ? { day: filter.openAt.day, time: filter.openAt.time ?? undefined }
      : undefined,
    statuses: filter.statuses ?? undefined,
    ids: filter.ids ?? undefined,
    organizations: filter.organizations ?? undefined,
    modifiedSince: filter.modifiedSince ? filter.modifiedSince.toISOString() : undefined,
    ageRangeWithin: filter.ageRangeWithin
      ? {
          minimumAge: filter.ageRangeWithin.minimumAge ?? undefined,
          maximumAge: filter.ageRangeWithin.maximumAge ?? undefined,
        }
      : undefined,
    session: filter.session
      ? {
          day: filter.session.day ?? undefined,
          startsAtOrAfter: filter.session.startsAtOrAfter ?? undefined,
          endsAtOrBefore: filter.session.endsAtOrBefore ?? undefined,
        }
      : undefined,
    taxonomyTerms: filter.taxonomyTerms ?? undefined,
    taxonomies: filter.taxonomies ?? undefined,
    serviceAtLocations: filter.serviceAtLocations ?? undefined,
    minLocations: filter.minLocations ?? undefined,
  };
}

export async function resolveNear(near: NearInput | undefined | null, ctx: DirectoryContext) {
  if (!near) return undefined;
  if (!(near.radiusKm >= 0.1 && near.radiusKm <= 200))
    throw badInput("near.radiusKm must be 0.1–200", "near.radiusKm");
  if (near.postcode) {
    try {
      const place = await ctx.postcodes.resolve(near.postcode);
      return { lat: place.lat, lng: place.lng, radiusKm: near.radiusKm };
    } catch (err) {
      throw badInput(err instanceof Error ? err.message : String(err), "near.postcode");
    }
  }
  const { latitude: lat, longitude: lng } = near;
  if (lat === undefined || lat === null || lng === undefined || lng === null) {
    throw badInput("near needs a postcode, or both latitude and longitude", "near");
  }
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180)
    throw badInput("near latitude/longitude out of range", "near");
  return { lat, lng, radiusKm: near.radiusKm };
}

@Resolver()
export class SearchResolver {
  @Query(() => ServiceConnection, {
    description:
      "Search every partner's services: typo-tolerant text, filters, facets and distance. Returns references the gateway completes from each partner.",
  })
  async searchServices(
    @Ctx() ctx: DirectoryContext,
    @Arg("query", () => String, {
      nullable: true,
      description: 'Free text, e.g. "camhs norwich"; typos are tolerated.',
    })
    query?: string,
    @Arg("filter", () => ServiceFilter, { nullable: true, description: "Structured filters." })
    filter?: ServiceFilter,
    @Arg("near", () => NearInput, {
      nullable: true,
      description: "Limit to a radius around a postcode or point.",
    })
    near?: NearInput,
    @Arg("sort", () => SearchSort, {
      defaultValue: SearchSort.RELEVANCE,
      description: "Result order.",
    })
    sort?: SearchSort,
    @Arg("first", () => Int, { defaultValue: 20, description: `Page size, 1–${MAX_LIMIT}.` })
    first?: number,
    @Arg("after", () => String, { nullable: true, description: "endCursor of the previous page." })
    after?: string,
    @Arg("offset", () => Int, {
      nullable: true,
      description:
        "Results to skip, for numbered pages (e.g. the ORUK API's `page`); instead of `after`.",
    })
    skip?: number,
  ): Promise<ServiceConnection> {
    const limit = first ?? 20;
    if (limit < 1 || limit > MAX_LIMIT) throw badInput(`first must be 1–${MAX_LIMIT}`, "first");
    if (query && query.length > 500) throw badInput("query is limited to 500 characters", "query");
    if (skip !== undefined && skip !== null && (skip < 0 || !Number.isInteger(skip)))
      throw badInput("offset must be 0 or more", "offset");
    if (after && skip) throw badInput("give after or offset, not both", "offset");
    let offset = skip ?? 0;
    if (after) {
      const decoded = decodeCursor(after);
      if (decoded === null) throw badInput("after is not a cursor from this API", "after");
      offset = decoded + 1;
    }
    if (offset + limit > MAX_WINDOW)
      throw badInput(`results beyond ${MAX_WINDOW} are not paged; narrow the search`, "after");
    const req: SearchRequest = {
      query: query ?? undefined,
      filter: toSearchFilter(filter),
      near: await resolveNear(near, ctx),
      sort: sort ?? SearchSort.RELEVANCE,
      limit,
      offset,
      facets: true,
    };
    const [result] = await Promise.all([ctx.backend.search(req), ctx.sync.checkLiveness()]);
    // In-process backends hand back the matched documents; a server backend's are read at once.
    const missing = result.hits.filter((h) => !h.doc).map((h) => h.id);
    const fetched = new Map<string, ServiceDoc | null>();
    if (missing.length)
      (await ctx.backend.get(missing)).forEach((d, i) => fetched.set(missing[i]!, d));
    const edges = result.hits.map((hit, i) => {
      const doc = hit.doc ?? fetched.get(hit.id) ?? null;
      return {
        id: hit.id,
        doc,
        cursor: encodeCursor(offset + i),
        node: doc ? serviceFromDoc(doc) : serviceRef(hit.id),
        distanceKm: hit.distanceKm,
        highlight: hit.highlight,
        stale: ctx.sync.isStale(parseGlobalId(hit.id)?.partner ?? ""),
      };
    });
    const facets = Object.fromEntries(
      FACET_NAMES.map((name) => [FACET_FIELDS[name], result.facets?.[name] ?? []]),
    ) as unknown as SearchFacets;
    return {
      totalCount: result.totalCount,
      edges,
      pageInfo: {
        hasNextPage: offset + edges.length < result.totalCount,
        hasPreviousPage: offset > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      facets,
    };
  }

  @Query(() => ServiceEntity, {
    nullable: true,
    description: 'One service by its global id ("council:…"); null when no partner lists it.',
  })
  async service(
    @Ctx() ctx: DirectoryContext,
    @Arg("id", () => ID, { description: "Global service id." }) id: string,
  ) {
    const partner = parseGlobalId(id)?.partner;
    if (!partner || !isPartnerId(partner)) {
      throw badInput(`"${id.slice(0, 80)}" is not a service id: expected "<partner>:<id>"`, "id");
    }
    const [doc] = await ctx.backend.get([id]);
    // Unknown to the index: if its partner is offline we cannot say it is gone, so ask the partner.
    return doc || ctx.sync.isStale(partner) || !ctx.sync.status.get(partner)?.reachable
      ? serviceRef(id)
      : null;
  }
}

// Reference data and status: local authority areas, the needs vocabulary, partner sync status.
import "reflect-metadata";
import {
  Arg,
  Ctx,
  Field,
  FieldResolver,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { Need, Partner } from "../../schema/enums.ts";
import { NEEDS } from "../../schema/vocabulary.ts";
import { DateTimeScalar } from "../../schema/enums.ts";
import { LocalAuthority, allLocalAuthorities, localAuthority } from "./types/entities.ts";
import type { DirectoryContext } from "./context.ts";
import { areasServing } from "../../schema/areas.ts";

@ObjectType("NeedInfo", {
  description: "A need in the shared vocabulary, with where it comes from.",
})
export class NeedInfo {
  @Field(() => Need, { description: "The code used in filters and on services." }) code!: string;
  @Field(() => String, { description: "Label for people." }) label!: string;
  @Field(() => String, { description: "Group, e.g. SEND, Safety, Health." }) group!: string;
  @Field(() => String, { description: "What the need covers." }) description!: string;
  @Field(() => [String], {
    description: "UK code lists it maps to (DfE, SEND, CIN, Supporting Families).",
  })
  sources!: string[];
  @Field(() => [String], { description: "Words people search with for this need." })
  synonyms!: string[];
}

@ObjectType("PartnerStatus", {
  description: "How fresh the directory's copy of a partner's services is.",
})
export class PartnerStatus {
  @Field(() => Partner, { description: "The partner." }) partner!: string;
  @Field(() => Boolean, {
    description:
      "The partner answered within the last second (its last sync, or a check made for this request).",
  })
  reachable!: boolean;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the last successful sync finished.",
  })
  lastSyncAt!: Date | null;
  @Field(() => String, { nullable: true, description: "Why the last sync failed, if it did." })
  lastError!: string | null;
  @Field(() => Boolean, { description: "True when results from this partner may be out of date." })
  stale!: boolean;
}

@Resolver(() => LocalAuthority)
export class ReferenceResolver {
  @Query(() => [LocalAuthority], {
    description:
      "Every current UK local authority (ONS 2025 districts and unitaries, 2023 counties), in GSS code order. Routing and coverage accept any of them.",
  })
  localAuthorities(): LocalAuthority[] {
    return allLocalAuthorities();
  }

  @Query(() => LocalAuthority, {
    nullable: true,
    description:
      "One authority by GSS code (a recently replaced code finds its successor); null when there is none.",
  })
  localAuthority(
    @Arg("code", () => String, {
      description: 'GSS code, e.g. "W06000022" (Newport), "E06000053" (Isles of Scilly).',
    })
    code: string,
  ) {
    return localAuthority(code);
  }

  @FieldResolver(() => LocalAuthority, {
    nullable: true,
    description: "For a district in a two-tier area: its county.",
  })
  county(@Root() la: LocalAuthority): LocalAuthority | null {
    return la.countyCode ? localAuthority(la.countyCode) : null;
  }

  @FieldResolver(() => LocalAuthority, {
    description:
      "The authority responsible for children's services here: the county for a district, else the authority itself.",
  })
  upperTier(@Root() la: LocalAuthority): LocalAuthority {
    return localAuthority(la.upperTierCode) ?? la;
  }

  @FieldResolver(() => [LocalAuthority], { description: "For a county: its districts." })
  districts(@Root() la: LocalAuthority): LocalAuthority[] {
    return la.districtCodes.map(localAuthority).filter((x): x is LocalAuthority => x !== null);
  }

  @FieldResolver(() => [LocalAuthority], {
    description:
      "Authorities sharing a land boundary (districts for a district, upper-tier authorities for a county), longest boundary first. Islands have none.",
  })
  neighbours(@Root() la: LocalAuthority): LocalAuthority[] {
    return la.neighbourCodes.map(localAuthority).filter((x): x is LocalAuthority => x !== null);
  }

  @Query(() => [NeedInfo], { description: "The shared needs vocabulary." })
  needs(): NeedInfo[] {
    return NEEDS;
  }

  @Query(() => [PartnerStatus], {
    description: "Sync status of each partner's services in the directory.",
  })
  async partnerStatus(@Ctx() ctx: DirectoryContext): Promise<PartnerStatus[]> {
    await ctx.sync.checkLiveness();
    return [...ctx.sync.status.values()].map((s) => ({
      partner: s.partner.toUpperCase(),
      reachable: s.reachable,
      lastSyncAt: s.lastSyncAt,
      // A code (UNAUTHORIZED, TIMEOUT …): the raw cause names internal hosts, so it is for /ready's operator detail only.
      lastError: s.reason,
      stale: ctx.sync.isStale(s.partner),
    }));
  }

  @FieldResolver(() => Int, {
    description:
      "Active services covering this area or part of it, across all partners (a county's services count for its districts, and a district's for its county).",
  })
  async serviceCount(@Root() la: LocalAuthority, @Ctx() ctx: DirectoryContext): Promise<number> {
    const r = await ctx.backend.search({
      filter: { localAuthorities: areasServing(la.code) },
      limit: 0,
      offset: 0,
    });
    return r.totalCount;
  }
}

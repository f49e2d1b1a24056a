// routeChild and coverage. The profile is used for this request only: it is never logged, stored
// or cached; the log line records timing and counts.
import "reflect-metadata";
import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { GraphQLError } from "graphql";
import { AgeBand } from "../../../schema/enums.ts";
import { NEED_CODES, PARTNERS } from "../../../schema/vocabulary.ts";
import { localAuthorityInfo } from "../../../schema/areas.ts";
import { log } from "../../../platform/log.ts";
import { serviceFromDoc } from "../types/provided.ts";
import { directoryCopy } from "../types/copy.ts";
import type { DirectoryContext } from "../context.ts";
import { ChildProfileInput, CoverageReport, RouteOptionsInput, RoutePlan } from "./route.types.ts";
import { coverage } from "./coverage.ts";
import {
  DEFAULT_ROUTE_OPTIONS,
  routeChild,
  type ChildProfile,
  type RouteOptions,
} from "./route.engine.ts";
import { MAX_RADIUS_KM } from "../search/request.ts";

const badInput = (message: string, field: string) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", field } });

export const todayIso = () => new Date().toISOString().slice(0, 10);

function ageFrom(dob: Date | string, today: string): number {
  const d = typeof dob === "string" ? new Date(dob) : dob;
  const t = new Date(`${today}T00:00:00Z`);
  let age = t.getUTCFullYear() - d.getUTCFullYear();
  if (
    t.getUTCMonth() < d.getUTCMonth() ||
    (t.getUTCMonth() === d.getUTCMonth() && t.getUTCDate() < d.getUTCDate())
  )
    age--;
  return age;
}

export function toRouteOptions(input: RouteOptionsInput | undefined | null): RouteOptions {
  const nearbyKm = input?.nearbyKm ?? DEFAULT_ROUTE_OPTIONS.nearbyKm;
  if (!(nearbyKm > 0 && nearbyKm <= MAX_RADIUS_KM))
    throw badInput(`nearbyKm must be more than 0 and at most ${MAX_RADIUS_KM}`, "options.nearbyKm");
  return {
    nearbyKm,
    includeNeighbours: input?.includeNeighbours ?? DEFAULT_ROUTE_OPTIONS.includeNeighbours,
  };
}

export async function toChildProfile(
  input: ChildProfileInput,
  ctx: Pick<DirectoryContext, "postcodes">,
  today: string,
): Promise<ChildProfile> {
  if (!input.needs?.length)
    throw badInput("profile.needs must name at least one need", "profile.needs");
  const unknown = input.needs.filter((n) => !NEED_CODES.includes(n));
  if (unknown.length) throw badInput(`unknown need ${unknown.join(", ")}`, "profile.needs");
  let age: number;
  if (input.age !== undefined && input.age !== null) age = input.age;
  else if (input.dateOfBirth) age = ageFrom(input.dateOfBirth, today);
  else throw badInput("give the child's age or dateOfBirth", "profile.age");
  if (!Number.isInteger(age) || age < 0 || age > 25) {
    throw badInput(
      "age must be a whole number of years from 0 to 25",
      input.age !== undefined && input.age !== null ? "profile.age" : "profile.dateOfBirth",
    );
  }
  let location: ChildProfile["location"] = null;
  let la: string | null = null;
  if (input.localAuthority !== undefined && input.localAuthority !== null) {
    const known = localAuthorityInfo(input.localAuthority);
    if (!known)
      throw badInput(
        `unknown local authority "${input.localAuthority.slice(0, 20)}": give a current ONS GSS code such as "E06000017" (Rutland); the localAuthorities query lists them all`,
        "profile.localAuthority",
      );
    la = known.code;
  }
  if (input.postcode) {
    try {
      const place = await ctx.postcodes.resolve(input.postcode);
      location = { lat: place.lat, lng: place.lng };
      // An explicit authority wins: the outward code's main authority is only the likeliest.
      la ??=
        (place.localAuthorityCode && localAuthorityInfo(place.localAuthorityCode)?.code) || null;
      if (!la) {
        throw badInput(
          `postcode ${place.postcode} could not be placed in a local authority; give profile.localAuthority as well`,
          "profile.postcode",
        );
      }
    } catch (err) {
      if (err instanceof GraphQLError) throw err;
      throw badInput(err instanceof Error ? err.message : "unknown postcode", "profile.postcode");
    }
  }
  if (!la)
    throw badInput(
      "give the child's postcode (profile.postcode) or local authority GSS code (profile.localAuthority)",
      "profile.postcode",
    );
  if (
    input.maxTravelKm !== undefined &&
    input.maxTravelKm !== null &&
    !(input.maxTravelKm > 0 && input.maxTravelKm <= 500)
  ) {
    throw badInput("maxTravelKm must be between 0 and 500", "profile.maxTravelKm");
  }
  const languages = (input.languages ?? []).map((l) => l.trim().toLowerCase());
  if (languages.some((l) => !/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/.test(l)) || languages.length > 10) {
    throw badInput(
      'languages must be up to 10 language codes such as "cy" or "pl"',
      "profile.languages",
    );
  }
  return {
    age,
    needs: [...new Set(input.needs)],
    localAuthority: la,
    location,
    languages,
    referral: input.referral ?? "PROFESSIONAL_REFERRAL",
    maxTravelKm: input.maxTravelKm ?? null,
    urgency: input.urgency ?? "ROUTINE",
    senProvision: input.senProvision ?? "NONE",
    today,
  };
}

/** What a plan reads: the index, the sync's view of each partner, and postcode lookup. */
export type RouteContext = Pick<DirectoryContext, "backend" | "sync" | "postcodes">;

/**
 * routeChild's answer, as the directory's resolver returns it: also run by the gateway's route
 * replica (gateway/route-replica.ts) over its own copy of the index, so both give the same plan.
 */
export async function planRoute(
  ctx: RouteContext,
  input: ChildProfileInput,
  optionsInput?: RouteOptionsInput | null,
): Promise<RoutePlan> {
  const started = performance.now();
  const options = toRouteOptions(optionsInput);
  const [profile] = await Promise.all([
    toChildProfile(input, ctx, todayIso()),
    ctx.sync.checkLiveness(),
  ]);
  const plan = await routeChild(profile, {
    backend: ctx.backend,
    isStale: (p) => ctx.sync.isStale(p),
    isOffline: (p) => ctx.sync.isOffline(p),
    options,
  });
  log("info", "route.computed", {
    ms: Math.round(performance.now() - started),
    needs: plan.needs.length,
    services: plan.needs.reduce((a, n) => a + n.services.length, 0),
    gaps: plan.gaps.length,
  });
  // Partner ids are lower case inside; the GraphQL Partner enum is upper case.
  const gapOut = (g: (typeof plan.gaps)[number]) => ({
    ...g,
    partners: g.partners.map((p) => p.toUpperCase()),
  });
  return {
    ...plan,
    needs: plan.needs.map((n) => ({
      ...n,
      services: n.services.map(({ doc, ...s }) => ({
        ...s,
        service: serviceFromDoc(doc),
        directoryCopy: directoryCopy(doc, ctx.sync.status.get(s.partner)?.lastSyncAt ?? null),
      })),
      gaps: n.gaps.map(gapOut),
    })),
    offlinePartners: plan.offlinePartners.map((p) => p.toUpperCase()),
    leadAgency: plan.leadAgency && {
      ...plan.leadAgency,
      partner: plan.leadAgency.partner.toUpperCase(),
    },
    gaps: plan.gaps.map(gapOut),
  } as unknown as RoutePlan;
}

@Resolver()
export class RouteResolver {
  @Query(() => RoutePlan, {
    description:
      "Route a child with one or more needs across every partner: ranked services per need, typed gaps, a suggested level of need and lead agency. The profile is never logged, stored or cached.",
  })
  async routeChild(
    @Ctx() ctx: DirectoryContext,
    @Arg("profile", () => ChildProfileInput, {
      description: "The child's age, needs and where they live.",
    })
    input: ChildProfileInput,
    @Arg("options", () => RouteOptionsInput, {
      nullable: true,
      description: "What counts as nearby when no service covers the child's area.",
    })
    optionsInput?: RouteOptionsInput,
  ): Promise<RoutePlan> {
    return planRoute(ctx, input, optionsInput);
  }

  @Query(() => CoverageReport, {
    description:
      "For commissioners: a need × age-band matrix of a local authority's services per partner, its gaps, and sole providers whose contracts end within 6 or 12 months.",
  })
  async coverage(
    @Ctx() ctx: DirectoryContext,
    @Arg("area", () => String, { description: "Local authority GSS code." }) area: string,
    @Arg("ageBand", () => AgeBand, {
      nullable: true,
      description: "One age band; all when omitted.",
    })
    ageBand?: string,
  ) {
    const la = localAuthorityInfo(area);
    if (!la) throw badInput(`unknown local authority "${area.slice(0, 20)}"`, "area");
    await ctx.sync.checkLiveness();
    const offline = PARTNERS.filter((p) => ctx.sync.isOffline(p));
    const report = await coverage(
      { area: la.code, ageBand, today: todayIso() },
      { backend: ctx.backend, offline },
    );
    return {
      ...report,
      endingContracts: report.endingContracts.map(({ doc, ...e }) => ({
        ...e,
        service: serviceFromDoc(doc),
      })),
    };
  }
}

// Routing a child across every partner: for each need, the services that can actually take this
// child, ranked; and, where there are none, typed gaps that say why in words a professional can act
// on. Pure logic over the search backend; the resolver adds GraphQL and the gateway adds fields.
//
// A need is COVERED when at least one reachable service meets it (active, contract not ended,
// right age, serves the child's area, within travel distance, a referral route the family can use,
// a language they speak, accepting referrals with a wait the urgency allows). Every one of those
// conditions is a search filter, so the index applies them to all services before anything is
// ranked or cut: one Polish-speaking service among thousands of English-only ones is found. Only
// when nothing passes does routing ask the index again, condition by condition, to say why.
// When a partner is offline its entries are stale: they are still listed (with the directory's
// copy), but they never make a need COVERED, because nobody can confirm them or show the service.
// A need only they could meet is UNKNOWN with a PARTNER_OFFLINE gap, never COVERED and never
// "no service".
import {
  CONTINUUM_OF_NEED,
  LEAD_ORDER,
  PARTNERS,
  TRAVEL_FREE_DELIVERY_MODES,
  needInfo,
  type PartnerId,
} from "../../../schema/vocabulary.ts";
import {
  areaName,
  areasServing,
  localAuthorityInfo,
  neighbouringAreas,
} from "../../../schema/areas.ts";
import type { SearchBackend, SearchFilter, ServiceDoc } from "../search/types.ts";
import { MAX_RADIUS_KM, haversineKm } from "../search/request.ts";
import { candidatesFor, type Candidates } from "./candidates.ts";

export type Urgency = "ROUTINE" | "SOON" | "URGENT";
export type ReferralPreference = "SELF_REFERRAL" | "PROFESSIONAL_REFERRAL";
export type GapKind =
  | "NO_SERVICE"
  | "AGE"
  | "OUTSIDE_AREA"
  | "NO_CAPACITY"
  | "CONTRACT_ENDING"
  | "CONTRACT_ENDED"
  | "TEMPORARILY_CLOSED"
  | "LANGUAGE"
  | "REFERRAL_ROUTE"
  | "PARTNER_OFFLINE";
export type NeedStatus = "COVERED" | "AT_RISK" | "GAP" | "UNKNOWN";

/** Longest typical wait each urgency accepts, in weeks. */
export const URGENCY_MAX_WAIT: Record<Urgency, number> = { ROUTINE: Infinity, SOON: 6, URGENT: 2 };
/** A reachable service whose contract ends within this many months puts the need at risk. */
export const CONTRACT_WARNING_MONTHS = 6;
/** Services within this distance of the child count as nearby when none serve the child's area. */
export const DEFAULT_NEARBY_KM = 25;
/** Eligible services ranked per need (all of them pass every condition; the cut is for ranking only). */
const CANDIDATES = 40;
/** Services fetched to explain a gap (the kind of gap is decided by counts over all services). */
const SAMPLE = 50;

export interface RouteOptions {
  /** When no service covers the child's area: services within this many km count as nearby. */
  nearbyKm: number;
  /** When no service covers the child's area: services for its land neighbours count as nearby too. */
  includeNeighbours: boolean;
}
export const DEFAULT_ROUTE_OPTIONS: RouteOptions = {
  nearbyKm: DEFAULT_NEARBY_KM,
  includeNeighbours: true,
};

export interface ChildProfile {
  age: number;
  needs: string[];
  /** GSS code: the district or unitary when known, else the county. */
  localAuthority: string;
  location: { lat: number; lng: number } | null;
  languages: string[];
  referral: ReferralPreference;
  maxTravelKm: number | null;
  urgency: Urgency;
  senProvision: "EHC_PLAN" | "SEN_SUPPORT" | "NONE";
  today: string;
}

export interface RoutedService {
  id: string;
  partner: PartnerId;
  coversNeeds: string[];
  reasons: string[];
  distanceKm: number | null;
  referralRoutes: string[];
  acceptingReferrals: boolean;
  typicalWaitWeeks: number | null;
  /** Set when the contract ends within 12 months. */
  contractEndDate: string | null;
  stale: boolean;
  score: number;
  /** The index document it was routed from (the directory's copy). */
  doc: ServiceDoc;
}

export interface Gap {
  kind: GapKind;
  need: string;
  /** False for warnings (CONTRACT_ENDING) that do not stop the need being met today. */
  blocking: boolean;
  message: string;
  /** Nearest age served (AGE), nearest distance (OUTSIDE_AREA), partners (PARTNER_OFFLINE) … */
  nearestAge: number | null;
  nearestDistanceKm: number | null;
  partners: string[];
  serviceIds: string[];
  /** CONTRACT_ENDED: the latest date a contract ended. */
  endedOn: string | null;
  /** TEMPORARILY_CLOSED: the partners' notices (when and how it reopens), one per service that has one. */
  notices: string[];
}

export interface NeedPlan {
  need: string;
  status: NeedStatus;
  services: RoutedService[];
  gaps: Gap[];
}

export interface RoutePlan {
  needs: NeedPlan[];
  gaps: Gap[];
  level: { level: number; label: string; reason: string };
  leadAgency: { partner: PartnerId; reason: string } | null;
  offlinePartners: PartnerId[];
}

const ROUTES_FOR: Record<ReferralPreference, string[]> = {
  // A family referring itself can use a self- or parent-referral route.
  SELF_REFERRAL: ["SELF", "PARENT"],
  PROFESSIONAL_REFERRAL: ["SELF", "PARENT", "PROFESSIONAL", "GP", "SCHOOL", "SOCIAL_WORKER"],
};

function monthsBetween(today: string, date: string): number {
  const a = new Date(`${today}T00:00:00Z`);
  const b = new Date(`${date}T00:00:00Z`);
  return (b.getTime() - a.getTime()) / (1000 * 60 * 60 * 24 * 30.44);
}

function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

const needLabel = (code: string) => needInfo(code)?.label.toLowerCase() ?? code;
const list = (xs: string[]) =>
  xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`;
const round1 = (n: number) => Math.round(n * 10) / 10;

interface Deps {
  backend: SearchBackend;
  /** The partner is unreachable now and its entries come from an earlier sync. */
  isStale: (partner: string) => boolean;
  /** The partner is unreachable now (stale entries or none at all). Defaults to isStale. */
  isOffline?: (partner: string) => boolean;
}

interface Ctx extends Deps {
  /** Where every service this plan considers comes from (see candidates.ts). */
  candidates: Candidates;
  offline: PartnerId[];
  options: RouteOptions;
  /** Codes whose services serve the child (the authority, its county or its districts). */
  areas: string[];
  /** Where distances are measured from: the child's position, else the authority's centre. */
  origin: { lat: number; lng: number } | null;
}

export async function routeChild(
  profile: ChildProfile,
  deps: Deps & { options?: Partial<RouteOptions> },
): Promise<RoutePlan> {
  const offline = PARTNERS.filter((p) => (deps.isOffline ?? deps.isStale)(p));
  const la = localAuthorityInfo(profile.localAuthority);
  const areas = areasServing(profile.localAuthority);
  const needs = [...new Set(profile.needs)];
  const ctx: Ctx = {
    backend: deps.backend,
    isStale: deps.isStale,
    candidates: candidatesFor(deps.backend, {
      needs,
      inArea: (ns) => inArea(areas, profile, ns),
      conditions: CONDITIONS.map((c) => conditionFilter(profile, c)),
    }),
    offline,
    options: { ...DEFAULT_ROUTE_OPTIONS, ...deps.options },
    areas,
    origin: profile.location ?? (la ? { lat: la.lat, lng: la.lng } : null),
  };
  // Services meeting several of the child's needs are found directly, so they can rank first
  // even when a need has hundreds of single-need providers.
  const multi = needs.length > 1 ? await ctx.candidates.eligible(needs, CANDIDATES) : [];
  const plans = await Promise.all(needs.map((need) => planNeed(ctx, profile, need, multi)));
  const gaps = plans.flatMap((p) => p.gaps);
  return {
    needs: plans,
    gaps,
    level: suggestLevel(profile, plans),
    leadAgency: suggestLead(profile, plans),
    offlinePartners: offline,
  };
}

/** What every service for the need in the child's area must be, whatever the child: active, contract not ended, right age. */
function inArea(areas: string[], profile: ChildProfile, needs: string[]): SearchFilter {
  return {
    needs,
    age: profile.age,
    localAuthorities: areas,
    statuses: ["ACTIVE"],
    contractEnd: { onOrAfter: profile.today },
  };
}

/**
 * The conditions that depend on this child, in the order gaps are explained: the first one a
 * service fails is why it cannot take the child.
 */
type Condition = "LANGUAGE" | "REFERRAL_ROUTE" | "OUTSIDE_AREA" | "NO_CAPACITY";
const CONDITIONS: Condition[] = ["LANGUAGE", "REFERRAL_ROUTE", "OUTSIDE_AREA", "NO_CAPACITY"];

function conditionFilter(profile: ChildProfile, c: Condition): SearchFilter {
  switch (c) {
    case "LANGUAGE":
      return profile.languages.length ? { languages: profile.languages } : {};
    case "REFERRAL_ROUTE":
      return { referralRoutes: ROUTES_FOR[profile.referral] };
    case "OUTSIDE_AREA":
      return profile.location && profile.maxTravelKm !== null
        ? { reachableFrom: { ...profile.location, radiusKm: profile.maxTravelKm } }
        : {};
    case "NO_CAPACITY": {
      const max = URGENCY_MAX_WAIT[profile.urgency];
      return { acceptingReferrals: true, ...(Number.isFinite(max) ? { maxWaitWeeks: max } : {}) };
    }
  }
}

/** The same condition checked on one document, to pick examples for a gap's message. */
function fails(profile: ChildProfile, c: Condition, doc: ServiceDoc): boolean {
  switch (c) {
    case "LANGUAGE":
      return (
        profile.languages.length > 0 && !doc.languages.some((l) => profile.languages.includes(l))
      );
    case "REFERRAL_ROUTE":
      return !doc.referralRoutes.some((r) => ROUTES_FOR[profile.referral].includes(r));
    case "OUTSIDE_AREA": {
      const d = distanceFrom(profile.location, doc);
      return (
        profile.maxTravelKm !== null && needsTravel(doc) && d !== null && d > profile.maxTravelKm
      );
    }
    case "NO_CAPACITY":
      return (
        !doc.acceptingReferrals || (doc.typicalWaitWeeks ?? 0) > URGENCY_MAX_WAIT[profile.urgency]
      );
  }
}

function distanceFrom(point: { lat: number; lng: number } | null, doc: ServiceDoc): number | null {
  return point && doc.location
    ? haversineKm(point.lat, point.lng, doc.location.lat, doc.location.lng)
    : null;
}

/** Whether the child has to travel to the service (and so the travel limit applies). */
function needsTravel(doc: ServiceDoc): boolean {
  return !doc.deliveryModes.some((m) => TRAVEL_FREE_DELIVERY_MODES.includes(m));
}

/** What ranking needs of a candidate; the rest of RoutedService is built for the few shown. */
interface Ranked {
  doc: ServiceDoc;
  distanceKm: number | null;
  covers: string[];
  stale: boolean;
  score: number;
}

function rank(ctx: Ctx, profile: ChildProfile, d: ServiceDoc): Ranked {
  const distanceKm = distanceFrom(profile.location, d);
  const covers = profile.needs.filter((n) => d.needs.includes(n));
  const stale = ctx.isStale(d.partner);
  // Fewer handoffs first: each extra need met outweighs any wait or distance difference.
  const score =
    covers.length * 100 - (d.typicalWaitWeeks ?? 0) - (distanceKm ?? 0) / 2 - (stale ? 5 : 0);
  return { doc: d, distanceKm, covers, stale, score };
}

function routed(
  ctx: Ctx,
  profile: ChildProfile,
  { doc: d, distanceKm, covers, stale, score }: Ranked,
): RoutedService {
  const own = d.localAuthorities.filter((la) => ctx.areas.includes(la));
  const reasons = [
    `Meets ${list(covers.map(needLabel))}`,
    `Takes ages ${d.minAge}–${d.maxAge}`,
    `Covers ${list(own.map(areaName))}`,
  ];
  const home = localAuthorityInfo(profile.localAuthority);
  // A child placed only at county level may not live in the one district a service covers.
  if (home?.tier === "upper" && own.length && own.every((c) => c !== home.code)) {
    reasons.push(
      `Covers only part of ${home.name}: check the child lives in ${list(own.map(areaName))}`,
    );
  }
  const routes = d.referralRoutes.filter((r) => ROUTES_FOR[profile.referral].includes(r));
  reasons.push(`Referral: ${routes.map((r) => r.toLowerCase().replace("_", " ")).join(", ")}`);
  if (d.typicalWaitWeeks !== null)
    reasons.push(`Typical wait ${d.typicalWaitWeeks} week${d.typicalWaitWeeks === 1 ? "" : "s"}`);
  if (distanceKm !== null) reasons.push(`${distanceKm.toFixed(1)} km away`);
  else if (!needsTravel(d))
    reasons.push(
      `No travel: ${d.deliveryModes.map((m) => m.toLowerCase().replace("_", " ")).join(", ")}`,
    );
  const months = d.contractEndDate ? monthsBetween(profile.today, d.contractEndDate) : Infinity;
  if (stale) reasons.push(`The ${d.partner} partner is offline: details may be out of date`);
  return {
    id: d.id,
    partner: d.partner as PartnerId,
    coversNeeds: covers,
    reasons,
    distanceKm: distanceKm === null ? null : round1(distanceKm),
    referralRoutes: d.referralRoutes,
    acceptingReferrals: d.acceptingReferrals,
    typicalWaitWeeks: d.typicalWaitWeeks,
    contractEndDate: months <= 12 ? d.contractEndDate : null,
    stale,
    score,
    doc: d,
  };
}

function gap(need: string, kind: GapKind, message: string, extra: Partial<Gap> = {}): Gap {
  return {
    kind,
    need,
    blocking: kind !== "CONTRACT_ENDING",
    message,
    nearestAge: null,
    nearestDistanceKm: null,
    partners: [],
    serviceIds: [],
    endedOn: null,
    notices: [],
    ...extra,
  };
}

async function planNeed(
  ctx: Ctx,
  profile: ChildProfile,
  need: string,
  multi: readonly ServiceDoc[],
): Promise<NeedPlan> {
  const own = await ctx.candidates.eligible([need], CANDIDATES);
  const byId = new Map<string, ServiceDoc>();
  for (const d of [...multi.filter((d) => d.needs.includes(need)), ...own]) byId.set(d.id, d);
  const fits = [...byId.values()]
    .map((d) => rank(ctx, profile, d))
    // Confirmed services first; an offline partner's entries after them.
    .sort(
      (a, b) =>
        Number(a.stale) - Number(b.stale) || b.score - a.score || a.doc.id.localeCompare(b.doc.id),
    )
    .slice(0, 10)
    .map((r) => routed(ctx, profile, r));
  const label = needLabel(need);
  const area = areaName(profile.localAuthority);
  const confirmed = fits.filter((s) => !s.stale);
  const unconfirmed = fits.filter((s) => s.stale);

  if (!confirmed.length && unconfirmed.length) {
    const partners = [...new Set(unconfirmed.map((s) => s.partner))];
    const names = unconfirmed.slice(0, 3).map((s) => s.doc.name);
    return {
      need,
      status: "UNKNOWN",
      services: unconfirmed,
      gaps: [
        gap(
          need,
          "PARTNER_OFFLINE",
          `Only the ${list(partners)} partner lists services that can take this child for ${label} (${list(names)}), and it is offline: the details are from its last sync and cannot be confirmed. Check with them directly before referring or treating this as a gap.`,
          {
            partners,
            serviceIds: unconfirmed.map((s) => s.id),
          },
        ),
      ],
    };
  }
  const services = fits;

  if (confirmed.length) {
    const gaps: Gap[] = [];
    const ending = confirmed.filter(
      (s) =>
        s.contractEndDate &&
        monthsBetween(profile.today, s.contractEndDate) <= CONTRACT_WARNING_MONTHS,
    );
    if (ending.length === confirmed.length) {
      const last = ending
        .map((s) => s.contractEndDate!)
        .sort()
        .at(-1)!;
      gaps.push(
        gap(
          need,
          "CONTRACT_ENDING",
          `Every service that can take this child for ${label} has a contract ending by ${last}. Refer now and plan for the support ending; tell the commissioner.`,
          {
            serviceIds: ending.map((s) => s.id),
          },
        ),
      );
    }
    return { need, status: gaps.length ? "AT_RISK" : "COVERED", services, gaps };
  }

  const gaps: Gap[] = [];
  if (ctx.offline.length) {
    gaps.push(
      gap(
        need,
        "PARTNER_OFFLINE",
        `Could not check ${list(ctx.offline)} services for ${label}: the partner is offline. Check with them directly before treating this as a gap.`,
        {
          partners: ctx.offline,
        },
      ),
    );
  }

  // Services for this need, age and area exist but none can take the child: the first condition
  // each fails is why. Counts over the whole index decide which kinds apply; samples fill in words.
  const counts = await ctx.candidates.counts(need);
  if (counts[0]! > 0) {
    for (const [i, kind] of CONDITIONS.entries()) {
      const before = counts[i]!;
      const after = i + 1 < counts.length ? counts[i + 1]! : 0;
      if (before === after) continue;
      const sample =
        kind === "OUTSIDE_AREA" && profile.location
          ? await ctx.candidates.passing(need, i, "DISTANCE", SAMPLE, {
              ...profile.location,
              radiusKm: MAX_RADIUS_KM,
            })
          : await ctx.candidates.passing(need, i, "WAIT", SAMPLE);
      const these = sample.filter((d) => fails(profile, kind, d));
      // The languages on offer are counted over every candidate, not read from the sample.
      const offered = kind === "LANGUAGE" ? await ctx.candidates.languages(need, i) : [];
      gaps.push(conditionGap(profile, need, kind, these, area, offered));
    }
    return { need, status: "GAP", services, gaps };
  }

  // Nothing in the area can take a child of this age for this need today. Say what exists but is
  // closed or out of contract, then look at other ages, then beyond the area.
  const inAreaAnyState = { needs: [need], age: profile.age, localAuthorities: ctx.areas };
  const [ended, closed] = await Promise.all([
    ctx.candidates.find(
      {
        ...inAreaAnyState,
        statuses: ["ACTIVE"],
        contractEnd: { onOrBefore: dayBefore(profile.today) },
      },
      "CONTRACT_END",
      SAMPLE,
    ),
    ctx.candidates.find({ ...inAreaAnyState, statuses: ["TEMPORARILY_CLOSED"] }, "WAIT", SAMPLE),
  ]);
  if (ended.length) {
    const endedOn = ended
      .map((d) => d.contractEndDate!)
      .sort()
      .at(-1)!;
    gaps.push(
      gap(
        need,
        "CONTRACT_ENDED",
        `The contract${ended.length === 1 ? "" : "s"} for ${label} in ${area} ended (the last on ${endedOn}); ${ended.length === 1 ? "that service is" : "those services are"} not offered. Tell the commissioner; ask the provider whether anything continues.`,
        {
          endedOn,
          serviceIds: ended.map((d) => d.id),
        },
      ),
    );
  }
  if (closed.length) {
    const notices = closed.filter((d) => d.alert).map((d) => `${d.name}: ${d.alert}`);
    gaps.push(
      gap(
        need,
        "TEMPORARILY_CLOSED",
        `${closed.length === 1 ? `${closed[0]!.name} is` : `${closed.length} services for ${label} in ${area} are`} temporarily closed${notices.length ? ` (${notices.join("; ")})` : ""}. Ask when it reopens, and use another service meanwhile.`,
        {
          notices,
          serviceIds: closed.map((d) => d.id),
        },
      ),
    );
  }

  if (!ended.length && !closed.length) {
    const anyAge = await ctx.candidates.find(
      { needs: [need], localAuthorities: ctx.areas, contractEnd: { onOrAfter: profile.today } },
      "WAIT",
      SAMPLE,
    );
    if (anyAge.length) {
      const nearestAge = nearestServedAge(profile.age, anyAge);
      gaps.push(
        gap(
          need,
          "AGE",
          `Services for ${label} in ${area} do not take children aged ${profile.age}; the nearest age served is ${nearestAge}.`,
          {
            nearestAge,
            serviceIds: anyAge.map((d) => d.id),
          },
        ),
      );
      return { need, status: "GAP", services, gaps };
    }
  }

  const outside = await beyondArea(ctx, profile, need, label, area);
  if (outside) gaps.push(outside);
  // Something exists (closed, ended, elsewhere), or an offline partner might run the only service:
  // either way it is not "no service".
  if (!gaps.length) {
    gaps.push(
      gap(
        need,
        "NO_SERVICE",
        `No partner lists a service for ${label} for a child aged ${profile.age} anywhere in the UK. Raise it with the commissioner; consider universal services meanwhile.`,
      ),
    );
  }
  // With a partner offline and nothing known in the area, that partner may run the service here.
  const unknown =
    ctx.offline.length > 0 &&
    gaps.every((g) => g.kind === "PARTNER_OFFLINE" || g.kind === "OUTSIDE_AREA");
  return { need, status: unknown ? "UNKNOWN" : "GAP", services, gaps };
}

function conditionGap(
  profile: ChildProfile,
  need: string,
  kind: Condition,
  these: ServiceDoc[],
  area: string,
  offered: string[],
): Gap {
  const label = needLabel(need);
  const ids = these.map((d) => d.id);
  switch (kind) {
    case "LANGUAGE":
      return gap(
        need,
        kind,
        `Services for ${label} in ${area} are not offered in ${list(profile.languages)}; ask about interpreters (offered: ${list(offered.slice(0, 10))}).`,
        { serviceIds: ids },
      );
    case "REFERRAL_ROUTE": {
      const routes = [...new Set(these.flatMap((d) => d.referralRoutes))];
      return gap(
        need,
        kind,
        `Services for ${label} in ${area} need a referral by ${list(routes.map((r) => r.toLowerCase().replace("_", " ")))}; the family cannot self-refer.`,
        { serviceIds: ids },
      );
    }
    case "OUTSIDE_AREA": {
      const nearest = Math.min(...these.map((d) => distanceFrom(profile.location, d) ?? Infinity));
      return gap(
        need,
        kind,
        `Services for ${label} exist, but the nearest is ${nearest.toFixed(1)} km away, beyond the ${profile.maxTravelKm} km the family can travel.`,
        { serviceIds: ids, nearestDistanceKm: round1(nearest) },
      );
    }
    case "NO_CAPACITY": {
      const accepting = these.filter((d) => d.acceptingReferrals);
      const shortest = Math.min(...accepting.map((d) => d.typicalWaitWeeks ?? 0));
      return gap(
        need,
        kind,
        accepting.length
          ? `Services for ${label} in ${area} have waits of ${shortest} weeks or more, longer than ${profile.urgency.toLowerCase()} urgency allows (${URGENCY_MAX_WAIT[profile.urgency]} weeks).`
          : `No service for ${label} in ${area} is accepting referrals now.`,
        { serviceIds: ids },
      );
    }
  }
}

/**
 * No service covers the child's area: the nearby ones (for a land-neighbouring authority, or within
 * nearbyKm), else the nearest anywhere. Null only when no service for this need and age exists.
 */
async function beyondArea(
  ctx: Ctx,
  profile: ChildProfile,
  need: string,
  label: string,
  area: string,
): Promise<Gap | null> {
  const open: SearchFilter = {
    needs: [need],
    age: profile.age,
    statuses: ["ACTIVE"],
    contractEnd: { onOrAfter: profile.today },
  };
  const { nearbyKm, includeNeighbours } = ctx.options;
  const neighbours = includeNeighbours ? neighbouringAreas(profile.localAuthority) : [];
  const [byNeighbour, byDistance] = await Promise.all([
    neighbours.length
      ? ctx.candidates.find({ ...open, localAuthorities: neighbours }, "WAIT", SAMPLE)
      : Promise.resolve([]),
    ctx.origin
      ? ctx.candidates.find(open, "DISTANCE", SAMPLE, { ...ctx.origin, radiusKm: nearbyKm })
      : Promise.resolve([]),
  ]);
  const servesOf = (docs: readonly ServiceDoc[]) =>
    list([...new Set(docs.flatMap((d) => d.localAuthorities))].slice(0, 5).map(areaName));
  const nearestOf = (docs: readonly ServiceDoc[]) => {
    const ds = docs.map((d) => distanceFrom(ctx.origin, d)).filter((d): d is number => d !== null);
    return ds.length ? round1(Math.min(...ds)) : null;
  };
  const from = profile.location ? "" : ` from the centre of ${area}`;
  const nearby = [...new Map([...byDistance, ...byNeighbour].map((d) => [d.id, d])).values()];
  if (nearby.length) {
    const nearest = nearestOf(nearby);
    const where = includeNeighbours
      ? `its neighbouring areas or within ${nearbyKm} km`
      : `within ${nearbyKm} km`;
    return gap(
      need,
      "OUTSIDE_AREA",
      `No service for ${label} covers ${area}, but ${nearby.length} nearby (${where}${nearest !== null ? `; nearest ${nearest.toFixed(1)} km${from}` : ""}) serve${nearby.length === 1 ? "s" : ""} ${servesOf(nearby)}. Ask whether they will take an out-of-area referral.`,
      { nearestDistanceKm: nearest, serviceIds: nearby.map((d) => d.id) },
    );
  }
  // Nothing nearby: the nearest help anywhere is still help, and never "no service".
  const far = ctx.origin
    ? await ctx.candidates.find(open, "DISTANCE", 5, { ...ctx.origin, radiusKm: MAX_RADIUS_KM })
    : [];
  const anywhere = far.length ? far : await ctx.candidates.find(open, "WAIT", 5);
  if (!anywhere.length) return null;
  const nearest = nearestOf(anywhere);
  return gap(
    need,
    "OUTSIDE_AREA",
    `No service for ${label} covers ${area} or is nearby (${includeNeighbours ? "its neighbouring areas or " : ""}within ${nearbyKm} km). The nearest help${nearest !== null ? ` is ${nearest.toFixed(1)} km away${from}, serving` : " serves"} ${servesOf(anywhere.slice(0, 1))}. Ask whether they will take an out-of-area referral, and tell the commissioner.`,
    { nearestDistanceKm: nearest, serviceIds: anywhere.map((d) => d.id) },
  );
}

function nearestServedAge(age: number, docs: readonly ServiceDoc[]): number {
  let best = Infinity;
  let bestAge = age;
  for (const d of docs) {
    const candidate = age < d.minAge ? d.minAge : age > d.maxAge ? d.maxAge : age;
    const diff = Math.abs(candidate - age);
    if (diff < best) {
      best = diff;
      bestAge = candidate;
    }
  }
  return bestAge;
}

const SPECIALIST = new Set(["SAFEGUARDING", "EXPLOITATION"]);
const UNIVERSAL = new Set(["EARLY_YEARS", "PERINATAL", "PHYSICAL_HEALTH", "EDUCATION"]);

export function suggestLevel(profile: ChildProfile, plans: NeedPlan[]): RoutePlan["level"] {
  const at = (level: number, reason: string) => ({
    level,
    label: CONTINUUM_OF_NEED[level - 1]!.label,
    reason,
  });
  const specialist = profile.needs.filter((n) => SPECIALIST.has(n));
  if (specialist.length)
    return at(
      4,
      `${list(specialist.map(needLabel))} calls for a statutory response: contact the children's services front door (MASH) today.`,
    );
  if (profile.needs.includes("DOMESTIC_ABUSE") && profile.urgency === "URGENT") {
    return at(4, "Urgent domestic abuse: consider safeguarding and a MARAC referral.");
  }
  const partners = new Set(plans.flatMap((p) => p.services.slice(0, 1).map((s) => s.partner)));
  if (profile.needs.length >= 3 || partners.size >= 2 || profile.senProvision === "EHC_PLAN") {
    const why =
      profile.needs.length >= 3
        ? `${profile.needs.length} needs`
        : partners.size >= 2
          ? `needs met by ${partners.size} agencies`
          : "an EHC plan";
    return at(
      3,
      `${why[0]!.toUpperCase()}${why.slice(1)}: a coordinated, multi-agency early help response with a lead practitioner (Team Around the Family).`,
    );
  }
  if (profile.needs.every((n) => UNIVERSAL.has(n)) && profile.senProvision === "NONE") {
    return at(1, "Needs that universal services (health visiting, schools, GPs) can meet.");
  }
  return at(2, "Additional needs one agency can meet with targeted early help.");
}

export function suggestLead(profile: ChildProfile, plans: NeedPlan[]): RoutePlan["leadAgency"] {
  if (profile.needs.length < 3) return null;
  // The partner whose top services meet the most of the child's needs.
  const covered = new Map<PartnerId, Set<string>>();
  for (const plan of plans) {
    for (const s of plan.services.slice(0, 3)) {
      const set = covered.get(s.partner) ?? new Set();
      for (const n of s.coversNeeds) set.add(n);
      covered.set(s.partner, set);
    }
  }
  const spanning = new Set(
    plans.filter((p) => p.services.length).map((p) => p.services[0]!.partner),
  );
  if (spanning.size < 2) return null;
  // On a tie, the partners' manifests decide (leadPriority): councils hold the statutory early help
  // duty, so they lead first.
  const best = [...covered.entries()].sort(
    (a, b) => b[1].size - a[1].size || LEAD_ORDER.indexOf(a[0]) - LEAD_ORDER.indexOf(b[0]),
  )[0];
  if (!best) return null;
  return {
    partner: best[0],
    reason: `${profile.needs.length} needs span ${spanning.size} agencies; the ${best[0]} partner's services meet the most of them (${list([...best[1]].map(needLabel))}), so it is best placed to hold the lead practitioner role.`,
  };
}

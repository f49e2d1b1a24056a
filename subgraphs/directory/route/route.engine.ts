// Routing a child across every partner: for each need, the services that can actually take this
// child, ranked; and, where there are none, typed gaps that say why in words a professional can act
// on. Pure logic over the search backend; the resolver adds GraphQL and the gateway adds fields.
//
// A need is COVERED when at least one reachable service meets it (active, right age, serves the
// child's area, within travel distance, a referral route the family can use, a language they speak,
// accepting referrals with a wait the urgency allows). It is never reported as a gap then. When a
// partner is offline its entries are stale: they can still cover a need, but a need they cannot
// cover is UNKNOWN for that partner, never "no service".
import {
  CONTINUUM_OF_NEED,
  LEAD_ORDER,
  PARTNERS,
  needInfo,
  localAuthorityInfo,
  type PartnerId,
} from "../../../schema/vocabulary.ts";
import type { SearchBackend, SearchFilter, ServiceDoc } from "../search/types.ts";
import { haversineKm } from "../search/request.ts";

export type Urgency = "ROUTINE" | "SOON" | "URGENT";
export type ReferralPreference = "SELF_REFERRAL" | "PROFESSIONAL_REFERRAL";
export type GapKind =
  | "NO_SERVICE"
  | "AGE"
  | "OUTSIDE_AREA"
  | "NO_CAPACITY"
  | "CONTRACT_ENDING"
  | "LANGUAGE"
  | "REFERRAL_ROUTE"
  | "PARTNER_OFFLINE";
export type NeedStatus = "COVERED" | "AT_RISK" | "GAP" | "UNKNOWN";

/** Longest typical wait each urgency accepts, in weeks. */
export const URGENCY_MAX_WAIT: Record<Urgency, number> = { ROUTINE: Infinity, SOON: 6, URGENT: 2 };
/** A reachable service whose contract ends within this many months puts the need at risk. */
export const CONTRACT_WARNING_MONTHS = 6;
/** How far to look for services just over the boundary when no travel limit is given. */
const NEARBY_KM = 25;
const CANDIDATES = 200;

export interface ChildProfile {
  age: number;
  needs: string[];
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
const TRAVEL_FREE_MODES = new Set(["ONLINE", "TELEPHONE", "HOME_VISIT"]);

function monthsBetween(today: string, date: string): number {
  const a = new Date(`${today}T00:00:00Z`);
  const b = new Date(`${date}T00:00:00Z`);
  return (b.getTime() - a.getTime()) / (1000 * 60 * 60 * 24 * 30.44);
}

const needLabel = (code: string) => needInfo(code)?.label.toLowerCase() ?? code;
const laName = (code: string) => localAuthorityInfo(code)?.name ?? code;
const list = (xs: string[]) => (xs.length <= 1 ? xs.join("") : `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}`);

interface Ctx {
  backend: SearchBackend;
  isStale: (partner: string) => boolean;
  offline: PartnerId[];
}

export async function routeChild(
  profile: ChildProfile,
  deps: { backend: SearchBackend; isStale: (partner: string) => boolean },
): Promise<RoutePlan> {
  const offline = PARTNERS.filter((p) => deps.isStale(p));
  const ctx: Ctx = { ...deps, offline };
  const needs = [...new Set(profile.needs)];
  // Services meeting several of the child's needs are found directly, so they can rank first
  // even when a need has hundreds of single-need providers.
  const multi = needs.length > 1 ? await candidates(ctx, profile, { needs, needsMatch: "ANY" }) : [];
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

async function candidates(ctx: Ctx, profile: ChildProfile, filter: SearchFilter): Promise<ServiceDoc[]> {
  const res = await ctx.backend.search({
    filter: { ...filter, age: profile.age, localAuthorities: [profile.localAuthority] },
    sort: "WAIT",
    limit: CANDIDATES,
    offset: 0,
  });
  const docs = await ctx.backend.get(res.hits.map((h) => h.id));
  return docs.filter((d): d is ServiceDoc => d !== null);
}

function distanceTo(profile: ChildProfile, doc: ServiceDoc): number | null {
  return profile.location && doc.location
    ? haversineKm(profile.location.lat, profile.location.lng, doc.location.lat, doc.location.lng)
    : null;
}

/** Whether the child has to travel to the service (and so the travel limit applies). */
function needsTravel(doc: ServiceDoc): boolean {
  return !doc.deliveryModes.some((m) => TRAVEL_FREE_MODES.has(m));
}

interface Check {
  ok: boolean;
  doc: ServiceDoc;
  distanceKm: number | null;
  failed: GapKind | null;
}

function check(profile: ChildProfile, doc: ServiceDoc): Check {
  const distanceKm = distanceTo(profile, doc);
  const fail = (failed: GapKind): Check => ({ ok: false, doc, distanceKm, failed });
  if (profile.languages.length && !doc.languages.some((l) => profile.languages.includes(l))) return fail("LANGUAGE");
  if (!doc.referralRoutes.some((r) => ROUTES_FOR[profile.referral].includes(r))) return fail("REFERRAL_ROUTE");
  if (profile.maxTravelKm !== null && needsTravel(doc) && distanceKm !== null && distanceKm > profile.maxTravelKm) {
    return fail("OUTSIDE_AREA");
  }
  const wait = doc.typicalWaitWeeks ?? 0;
  if (!doc.acceptingReferrals || wait > URGENCY_MAX_WAIT[profile.urgency]) return fail("NO_CAPACITY");
  return { ok: true, doc, distanceKm, failed: null };
}

function routed(profile: ChildProfile, c: Check, isStale: (p: string) => boolean): RoutedService {
  const d = c.doc;
  const covers = profile.needs.filter((n) => d.needs.includes(n));
  const reasons = [
    `Meets ${list(covers.map(needLabel))}`,
    `Takes ages ${d.minAge}–${d.maxAge}`,
    `Covers ${list(d.localAuthorities.filter((la) => la === profile.localAuthority).map(laName))}`,
  ];
  const routes = d.referralRoutes.filter((r) => ROUTES_FOR[profile.referral].includes(r));
  reasons.push(`Referral: ${routes.map((r) => r.toLowerCase().replace("_", " ")).join(", ")}`);
  if (d.typicalWaitWeeks !== null) reasons.push(`Typical wait ${d.typicalWaitWeeks} week${d.typicalWaitWeeks === 1 ? "" : "s"}`);
  if (c.distanceKm !== null) reasons.push(`${c.distanceKm.toFixed(1)} km away`);
  else if (!needsTravel(d)) reasons.push(`No travel: ${d.deliveryModes.map((m) => m.toLowerCase().replace("_", " ")).join(", ")}`);
  const months = d.contractEndDate ? monthsBetween(profile.today, d.contractEndDate) : Infinity;
  const stale = isStale(d.partner);
  if (stale) reasons.push(`The ${d.partner} partner is offline: details may be out of date`);
  // Fewer handoffs first: each extra need met outweighs any wait or distance difference.
  const score = covers.length * 100 - (d.typicalWaitWeeks ?? 0) - (c.distanceKm ?? 0) / 2 - (stale ? 5 : 0);
  return {
    id: d.id,
    partner: d.partner as PartnerId,
    coversNeeds: covers,
    reasons,
    distanceKm: c.distanceKm === null ? null : Math.round(c.distanceKm * 10) / 10,
    referralRoutes: d.referralRoutes,
    acceptingReferrals: d.acceptingReferrals,
    typicalWaitWeeks: d.typicalWaitWeeks,
    contractEndDate: months <= 12 ? d.contractEndDate : null,
    stale,
    score,
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
    ...extra,
  };
}

async function planNeed(ctx: Ctx, profile: ChildProfile, need: string, multi: ServiceDoc[]): Promise<NeedPlan> {
  const own = await candidates(ctx, profile, { needs: [need] });
  const byId = new Map<string, ServiceDoc>();
  for (const d of [...multi.filter((d) => d.needs.includes(need)), ...own]) byId.set(d.id, d);
  const checks = [...byId.values()].map((d) => check(profile, d));
  const services = checks
    .filter((c) => c.ok)
    .map((c) => routed(profile, c, ctx.isStale))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, 10);
  const label = needLabel(need);
  const area = laName(profile.localAuthority);

  if (services.length) {
    const gaps: Gap[] = [];
    const ending = services.filter((s) => s.contractEndDate && monthsBetween(profile.today, s.contractEndDate) <= CONTRACT_WARNING_MONTHS);
    if (ending.length === services.length) {
      const last = ending.map((s) => s.contractEndDate!).sort().at(-1)!;
      gaps.push(
        gap(need, "CONTRACT_ENDING", `Every service that can take this child for ${label} has a contract ending by ${last}. Refer now and plan for the support ending; tell the commissioner.`, {
          serviceIds: ending.map((s) => s.id),
        }),
      );
    }
    return { need, status: gaps.length ? "AT_RISK" : "COVERED", services, gaps };
  }

  const gaps: Gap[] = [];
  if (ctx.offline.length) {
    gaps.push(
      gap(need, "PARTNER_OFFLINE", `Could not check ${list(ctx.offline)} services for ${label}: the partner is offline. Check with them directly before treating this as a gap.`, {
        partners: ctx.offline,
      }),
    );
  }
  const failures = checks.filter((c) => !c.ok);
  if (failures.length) {
    // Services for this need, age and area exist; say what stops each kind of them.
    const kinds = [...new Set(failures.map((f) => f.failed!))];
    for (const kind of kinds) {
      const these = failures.filter((f) => f.failed === kind);
      const ids = these.map((f) => f.doc.id);
      if (kind === "LANGUAGE") {
        gaps.push(gap(need, kind, `Services for ${label} in ${area} are not offered in ${list(profile.languages)}; ask about interpreters (offered: ${list([...new Set(these.flatMap((f) => f.doc.languages))])}).`, { serviceIds: ids }));
      } else if (kind === "REFERRAL_ROUTE") {
        const routes = [...new Set(these.flatMap((f) => f.doc.referralRoutes))];
        gaps.push(gap(need, kind, `Services for ${label} in ${area} need a referral by ${list(routes.map((r) => r.toLowerCase().replace("_", " ")))}; the family cannot self-refer.`, { serviceIds: ids }));
      } else if (kind === "OUTSIDE_AREA") {
        const nearest = Math.min(...these.map((f) => f.distanceKm ?? Infinity));
        gaps.push(gap(need, kind, `Services for ${label} exist, but the nearest is ${nearest.toFixed(1)} km away, beyond the ${profile.maxTravelKm} km the family can travel.`, { serviceIds: ids, nearestDistanceKm: round1(nearest) }));
      } else if (kind === "NO_CAPACITY") {
        const accepting = these.filter((f) => f.doc.acceptingReferrals);
        const shortest = Math.min(...accepting.map((f) => f.doc.typicalWaitWeeks ?? 0));
        gaps.push(
          gap(
            need,
            kind,
            accepting.length
              ? `Services for ${label} in ${area} have waits of ${shortest} weeks or more, longer than ${profile.urgency.toLowerCase()} urgency allows (${URGENCY_MAX_WAIT[profile.urgency]} weeks).`
              : `No service for ${label} in ${area} is accepting referrals now.`,
            { serviceIds: ids },
          ),
        );
      }
    }
    return { need, status: "GAP", services, gaps };
  }

  // Nothing for this need at this age in this area: is it the age, or the area?
  const anyAge = await ctx.backend.search({ filter: { needs: [need], localAuthorities: [profile.localAuthority] }, limit: 50, offset: 0 });
  if (anyAge.totalCount > 0) {
    const docs = (await ctx.backend.get(anyAge.hits.map((h) => h.id))).filter((d): d is ServiceDoc => !!d);
    const nearestAge = nearestServedAge(profile.age, docs);
    gaps.push(
      gap(need, "AGE", `Services for ${label} in ${area} do not take children aged ${profile.age}; the nearest age served is ${nearestAge}.`, {
        nearestAge,
        serviceIds: docs.map((d) => d.id),
      }),
    );
    return { need, status: "GAP", services, gaps };
  }
  if (profile.location) {
    const radiusKm = profile.maxTravelKm ?? NEARBY_KM;
    const near = await ctx.backend.search({ filter: { needs: [need], age: profile.age }, near: { ...profile.location, radiusKm: Math.max(radiusKm, NEARBY_KM) }, sort: "DISTANCE", limit: 10, offset: 0 });
    if (near.totalCount > 0) {
      const first = near.hits[0]!;
      const docs = (await ctx.backend.get(near.hits.map((h) => h.id))).filter((d): d is ServiceDoc => !!d);
      const areas = [...new Set(docs.flatMap((d) => d.localAuthorities))].map(laName);
      gaps.push(
        gap(need, "OUTSIDE_AREA", `No service for ${label} covers ${area}, but ${near.totalCount} nearby (nearest ${first.distanceKm?.toFixed(1)} km) serve${near.totalCount === 1 ? "s" : ""} ${list(areas)}. Ask whether they will take an out-of-area referral.`, {
          nearestDistanceKm: first.distanceKm === null ? null : round1(first.distanceKm),
          serviceIds: docs.map((d) => d.id),
        }),
      );
      return { need, status: "GAP", services, gaps };
    }
  }
  // An offline partner might run the only service: that is "unknown", not "no service".
  if (!ctx.offline.length) {
    gaps.push(gap(need, "NO_SERVICE", `No partner lists a service for ${label} for a child aged ${profile.age} in or near ${area}. Raise it with the commissioner; consider universal services meanwhile.`));
  }
  return { need, status: ctx.offline.length ? "UNKNOWN" : "GAP", services, gaps };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function nearestServedAge(age: number, docs: ServiceDoc[]): number {
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
  const at = (level: number, reason: string) => ({ level, label: CONTINUUM_OF_NEED[level - 1]!.label, reason });
  const specialist = profile.needs.filter((n) => SPECIALIST.has(n));
  if (specialist.length) return at(4, `${list(specialist.map(needLabel))} calls for a statutory response: contact the children's services front door (MASH) today.`);
  if (profile.needs.includes("DOMESTIC_ABUSE") && profile.urgency === "URGENT") {
    return at(4, "Urgent domestic abuse: consider safeguarding and a MARAC referral.");
  }
  const partners = new Set(plans.flatMap((p) => p.services.slice(0, 1).map((s) => s.partner)));
  if (profile.needs.length >= 3 || partners.size >= 2 || profile.senProvision === "EHC_PLAN") {
    const why = profile.needs.length >= 3 ? `${profile.needs.length} needs` : partners.size >= 2 ? `needs met by ${partners.size} agencies` : "an EHC plan";
    return at(3, `${why[0]!.toUpperCase()}${why.slice(1)}: a coordinated, multi-agency early help response with a lead practitioner (Team Around the Family).`);
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
  const spanning = new Set(plans.filter((p) => p.services.length).map((p) => p.services[0]!.partner));
  if (spanning.size < 2) return null;
  // On a tie, the partners' manifests decide (leadPriority): councils hold the statutory early help
  // duty, so they lead first.
  const best = [...covered.entries()].sort((a, b) => b[1].size - a[1].size || LEAD_ORDER.indexOf(a[0]) - LEAD_ORDER.indexOf(b[0]))[0];
  if (!best) return null;
  return {
    partner: best[0],
    reason: `${profile.needs.length} needs span ${spanning.size} agencies; the ${best[0]} partner's services meet the most of them (${list([...best[1]].map(needLabel))}), so it is best placed to hold the lead practitioner role.`,
  };
}


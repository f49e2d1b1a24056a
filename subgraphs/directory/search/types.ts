// The directory's search contract: one document shape, one request shape, two interchangeable
// backends (an embedded in-process index, a Meilisearch server). Everything a backend must agree on lives here.
import { serviceAtLocationId } from "../../../schema/hsds-ids.ts";

/**
 * What a search result, a route plan or a service card shows beyond the indexed fields, exactly as
 * the partner's change feed gave it (no defaults filled in): the directory answers these fields of
 * `Service` itself (see types/provided.ts), from the same document the index filtered on.
 */
export interface ServiceCard {
  /** Global organization id ("council:…"): the reference for organization fields only the partner has. */
  organizationId: string;
  /** As published: null means the partner does not say (minAge/maxAge below fill in 0 and 25). */
  minimumAge: number | null;
  maximumAge: number | null;
  funder: string | null;
  /** ISO timestamp. */
  capacityUpdatedAt: string | null;
  /** Public views of the locations, in the partner's order: never an address or exact position. */
  locations: {
    id: string;
    name: string | null;
    locationType: string;
    confidential: boolean;
    area: string | null;
  }[];
}

/** One partner service as the directory indexes it. Built by the sync from partner HSDS data. */
export interface ServiceDoc {
  /** GraphQL id, "<partner>:<hsdsId>", e.g. "council:3f2a…". Unique across partners. */
  id: string;
  /** PartnerId: "council" | "charity" | "health". */
  partner: string;
  name: string;
  description: string;
  organizationName: string;
  /** ServiceStatusCode: "ACTIVE" | "TEMPORARILY_CLOSED" | "INACTIVE" | "DEFUNCT". */
  status: string;
  /** The partner's temporary notice (HSDS alert), e.g. when a closed service reopens. */
  alert: string | null;
  /** Need codes from the vocabulary (NEEDS). */
  needs: string[];
  /** Referral route codes (REFERRAL_ROUTES). */
  referralRoutes: string[];
  /** Lower-case language codes as published (ISO 639-1 where partners use it: "en", "cy", "pl"). */
  languages: string[];
  /** DELIVERY_MODES codes. */
  deliveryModes: string[];
  /** ONS GSS codes of the local authorities the service covers. */
  localAuthorities: string[];
  /** Age band codes, from ageBandsFor(minAge, maxAge). */
  ageBands: string[];
  /** Inclusive age range; 0 and 25 when the partner does not say. */
  minAge: number;
  maxAge: number;
  free: boolean;
  acceptingReferrals: boolean;
  typicalWaitWeeks: number | null;
  /** YYYY-MM-DD. */
  contractEndDate: string | null;
  /** Opening tokens from openSlotsFor(): "MO" for each open day, "MO-09" for each open hour. */
  openSlots: string[];
  /** Primary position. Confidential places (refuges) arrive with area-level positions. */
  location: { lat: number; lng: number } | null;
  /** Normalised postcodes of the service's locations ("NR2 4AB"), for outward-code centroids. */
  postcodes: string[];
  /** ISO timestamp of the partner's last change. */
  lastModified: string;
  /** Global organization id ("council:…"), "" when not known (organizations filter). */
  organizationId: string;
  /** false when the partner gives no maximum age (maxAge then stands at 25): ageRangeWithin. */
  maxAgeStated: boolean;
  /** The partner's own ids of the service's taxonomy terms (taxonomyTerms filter). */
  taxonomyTerms: string[];
  /**
   * The vocabularies those terms come from, each by name and by the ORUK API's taxonomy id for it
   * (schema/hsds-ids.ts uuidFor("taxonomy:<name>")), for the taxonomies filter.
   */
  taxonomies: string[];
  /** Opening sessions as published, for the session filter (openSlots is hour-grained). */
  schedules: Session[];
  /** The partner's own ids of the service's locations, in its order (service_at_location ids). */
  locationIds: string[];
  /** The partner was unreachable at the last sync: the document is kept but marked. */
  stale: boolean;
  /** Display fields the index does not filter on; absent only in copies stored before it existed. */
  card?: ServiceCard;
}

/** Every ServiceDoc field, for backends that copy documents field by field. */
export const SERVICE_DOC_KEYS: (keyof ServiceDoc)[] = [
  "id",
  "partner",
  "name",
  "description",
  "organizationName",
  "status",
  "alert",
  "needs",
  "referralRoutes",
  "languages",
  "deliveryModes",
  "localAuthorities",
  "ageBands",
  "minAge",
  "maxAge",
  "free",
  "acceptingReferrals",
  "typicalWaitWeeks",
  "contractEndDate",
  "openSlots",
  "location",
  "postcodes",
  "lastModified",
  "organizationId",
  "maxAgeStated",
  "taxonomyTerms",
  "taxonomies",
  "schedules",
  "locationIds",
  "stale",
  "card",
];

export type NeedsMatch = "ANY" | "ALL";

/** One published opening session: day codes ("MO".."SU"), times "HH:MM" or null (not given). */
export interface Session {
  byDay: string[];
  opensAt: string | null;
  closesAt: string | null;
}

/**
 * Filters combine with AND. List filters match when the document has ANY of the listed values
 * (needs can ask for ALL). An empty list means "no constraint", except `ids`, where it matches
 * nothing. Unknown codes never match and never throw: filters are data, not syntax.
 */
export interface SearchFilter {
  needs?: string[];
  /** Default "ANY". */
  needsMatch?: NeedsMatch;
  /** The child's age falls inside [minAge, maxAge] (both ends inclusive). */
  age?: number;
  localAuthorities?: string[];
  partners?: string[];
  /** true keeps free services only; false or undefined does not filter. */
  freeOnly?: boolean;
  referralRoutes?: string[];
  languages?: string[];
  deliveryModes?: string[];
  acceptingReferrals?: boolean;
  /**
   * Open on a day ("MO".."SU"), and at a time ("HH:MM", 24-hour) when given. Hour granularity:
   * a service counts as open at 09:10 when it is open at any point between 09:00 and 10:00.
   */
  openAt?: { day: string; time?: string };
  /** Default ["ACTIVE"] when undefined; [] means any status. */
  statuses?: string[];
  ids?: string[];
  /** Typical wait of at most this many weeks; a service that gives no wait counts as none. */
  maxWaitWeeks?: number;
  /**
   * Contract end date within a window, YYYY-MM-DD, both ends inclusive. `onOrAfter` alone keeps
   * services with no end date ("contract not ended"); with `onOrBefore` they never match.
   */
  contractEnd?: { onOrAfter?: string; onOrBefore?: string };
  /**
   * Services a child at this point can use: located within radiusKm of it, or delivered without
   * travel (TRAVEL_FREE_DELIVERY_MODES: online, by phone, at home), or with no location to measure.
   * Unlike `near`, it reports no distances and does not drop unlocated services.
   */
  reachableFrom?: { lat: number; lng: number; radiusKm: number };
  /** Global organization ids ("council:…"). */
  organizations?: string[];
  /** Changed at or after this ISO date-time (lastModified). */
  modifiedSince?: string;
  /**
   * The service's whole age range lies within these bounds: its minimum age (0 when it states
   * none) is at least minimumAge, its maximum age is at most maximumAge (a service stating no
   * maximum never passes a maximumAge).
   */
  ageRangeWithin?: { minimumAge?: number; maximumAge?: number };
  /**
   * A published session on `day` (any day when absent; a session with no days counts only then)
   * that opens at or after startsAtOrAfter and closes at or before endsAtOrBefore ("HH:MM"). A
   * session that gives no opening (closing) time never passes a startsAtOrAfter (endsAtOrBefore).
   */
  session?: { day?: string; startsAtOrAfter?: string; endsAtOrBefore?: string };
  /** Taxonomy term ids, as the partners publish them. */
  taxonomyTerms?: string[];
  /** Taxonomy (vocabulary) names. */
  taxonomies?: string[];
  /** ORUK service_at_location ids (schema/hsds-ids.ts): the services holding them. */
  serviceAtLocations?: string[];
  /** Services with at least this many locations. */
  minLocations?: number;
}

export type SearchSort = "RELEVANCE" | "DISTANCE" | "NAME" | "WAIT" | "CONTRACT_END";

export interface SearchRequest {
  /** Free text. Typo tolerant, all words must match (after synonyms and stop words). */
  query?: string;
  filter?: SearchFilter;
  /** Keep services whose location lies within radiusKm, and report each hit's distance. */
  near?: { lat: number; lng: number; radiusKm: number };
  /**
   * Default RELEVANCE. Without a query, RELEVANCE orders by distance when `near` is given and by
   * name otherwise. DISTANCE without `near` falls back to NAME. WAIT and CONTRACT_END put
   * unknown values last. Ties always break by id, so pages are stable.
   */
  sort?: SearchSort;
  /** Clamped to [0, MAX_LIMIT]. */
  limit: number;
  /** offset + limit past MAX_WINDOW is a SearchRequestError (narrow the search instead). */
  offset: number;
  /** Compute facet counts over the whole result set (not just the page). */
  facets?: boolean;
}

export interface SearchHit {
  id: string;
  /** Great-circle distance from `near`, when `near` was given and the service has a location. */
  distanceKm: number | null;
  /**
   * A short HTML snippet of the description (or name) with matched words in <mark>…</mark>;
   * everything else is HTML-escaped. null when there was no query.
   */
  highlight: string | null;
  /** Backend-specific relevance, higher is better; only comparable within one result. */
  score: number;
  /**
   * The document this hit was matched against, when the backend has it at hand (the in-process
   * backends): a page's displayed values then come from the very copy its filters ran on.
   * Read-only: it is the index's own object.
   */
  doc?: ServiceDoc;
}

export const FACET_NAMES = [
  "needs",
  "partner",
  "localAuthorities",
  "ageBands",
  "cost",
  "referralRoutes",
  "languages",
  "deliveryModes",
  /** Services by number of locations ("0", "1", …): the ORUK API pages service_at_locations by it. */
  "locationCount",
] as const;
export type FacetName = (typeof FACET_NAMES)[number];

export interface FacetCount {
  value: string;
  count: number;
}
/** Values with a non-zero count, by count descending then value ascending. */
export type Facets = Record<FacetName, FacetCount[]>;

export interface SearchResult {
  totalCount: number;
  hits: SearchHit[];
  /** null unless the request asked for facets. */
  facets: Facets | null;
}

/**
 * "embedded": in-process index (default); "orama": in-process, on @orama/orama (slower at scale,
 * see BENCHMARKS.md); "meilisearch": a Meilisearch server.
 */
export type BackendName = "embedded" | "orama" | "meilisearch";

/**
 * A set of documents chosen by LocalIndex.select(): a bitset over the index's slots, valid until
 * the index next changes (using it after a write throws rather than answering wrongly).
 */
export interface Selection {
  readonly bits: Uint32Array;
  readonly version: number;
}

/**
 * An index in this process that answers many questions about one set of candidates cheaply
 * (the embedded index). Routing narrows a child's candidates condition by condition with it:
 * each condition is checked once, on what is left, and no document is copied.
 */
export interface LocalIndex {
  /** What search() would find with this filter (statuses default to ACTIVE), among `within`. */
  select(filter: SearchFilter, within?: Selection): Selection;
  count(sel: Selection): number;
  /**
   * The first `limit` of a selection in search()'s order for the same sort and near (`near` keeps
   * only those within its circle). The index's own frozen documents: read them, never change them.
   */
  top(
    sel: Selection,
    sort: SearchSort,
    limit: number,
    near?: { lat: number; lng: number; radiusKm: number },
  ): readonly ServiceDoc[];
  /** One facet's counts over a selection, as search() gives them with `facets: true`. */
  facetCounts(sel: Selection, facet: FacetName): FacetCount[];
}

export interface SearchBackend {
  readonly name: BackendName;
  /**
   * The index itself when it lives in this process and supports LocalIndex (embedded); undefined
   * or null otherwise (Meilisearch, Orama). Read per request: a reindex swaps the index.
   */
  local?(): LocalIndex | null;
  /** Insert or replace documents by id. */
  upsert(docs: ServiceDoc[]): Promise<void>;
  /** Remove documents by id; unknown ids are ignored. */
  remove(ids: string[]): Promise<void>;
  /** Documents in the order of `ids`, null for unknown ids. */
  get(ids: string[]): Promise<(ServiceDoc | null)[]>;
  /**
   * Ids of one partner's documents, sorted. The sync uses it to mark a partner's documents stale
   * when the partner is down, and to delete what a full reindex no longer lists.
   */
  idsByPartner(partner: string): Promise<string[]>;
  search(req: SearchRequest): Promise<SearchResult>;
  count(): Promise<number>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Largest page a backend returns. */
export const MAX_LIMIT = 100;
/** offset + limit never goes past this (Meilisearch's maxTotalHits is set to match). */
export const MAX_WINDOW = 10_000;
export const DEFAULT_STATUSES: readonly string[] = ["ACTIVE"];

/** A backend failed (server unreachable, task failed, bad settings). Internal: not a user error. */
export class SearchBackendError extends Error {
  override name = "SearchBackendError";
  constructor(
    message: string,
    readonly backend: BackendName,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type DayCode = (typeof DAY_CODES)[number];

const DAY_NAMES: Record<string, DayCode> = {
  MON: "MO",
  MONDAY: "MO",
  TUE: "TU",
  TUES: "TU",
  TUESDAY: "TU",
  WED: "WE",
  WEDNESDAY: "WE",
  THU: "TH",
  THUR: "TH",
  THURS: "TH",
  THURSDAY: "TH",
  FRI: "FR",
  FRIDAY: "FR",
  SAT: "SA",
  SATURDAY: "SA",
  SUN: "SU",
  SUNDAY: "SU",
};

/** "MO", "mo", "Monday", "1MO" (RRULE ordinal) → "MO"; anything else → null. */
export function dayCode(value: string): DayCode | null {
  const v = value
    .trim()
    .toUpperCase()
    .replace(/^[+-]?\d+/, "");
  if ((DAY_CODES as readonly string[]).includes(v)) return v as DayCode;
  return DAY_NAMES[v] ?? null;
}

/** The ORUK service_at_location ids of a document's locations. */
export function serviceAtLocationIdsOf(doc: Pick<ServiceDoc, "id" | "locationIds">): string[] {
  const own = doc.id.slice(doc.id.indexOf(":") + 1);
  return doc.locationIds.map((l) => serviceAtLocationId(own, l));
}

/*
 * Session keys: the session filter as number ranges, for indexes whose array filters match each
 * element alone (Meilisearch, Orama: "some element opens after x" and "some element closes before
 * y" may be two different sessions). A session is a point (opens, closes) per day; the filter asks
 * for a point with opens >= s and closes <= e. Each point is indexed under every dyadic interval
 * of the opens axis that holds it (12 levels), the key carrying its closes value: the query's
 * opens range [s, end] is a union of at most 12 such intervals, and within each the closes bound
 * is one key range. So "one session with both" is exact with at most 12 ranges, 12 keys a day.
 */
const OPENS_AXIS = 2048; // opens + 1 (0 = not given), 0..1441
const KEY_DAY_SPAN = 2 * OPENS_AXIS; // dyadic node ids 1..4095
const CLOSES_SPAN = 2048; // closes (1441 = not given), 0..1441
/** Day index of the session keys for "any day". */
export const ANY_DAY = 7;

const sessionKey = (day: number, node: number, closes: number) =>
  (day * KEY_DAY_SPAN + node) * CLOSES_SPAN + closes;

/** Minutes since midnight of a published time, or null when absent or unreadable. */
const sessionMinutes = (t: string | null) => (t === null ? null : minutesOf(t));

/** The days (0 = MO … 6 = SU) a published session is on. */
function sessionDays(s: Session): number[] {
  const out = new Set<number>();
  for (const d of s.byDay) {
    const code = dayCode(d);
    if (code) out.add(DAY_CODES.indexOf(code));
  }
  return [...out];
}

/** Every session key of a document's sessions (sorted, distinct). */
export function sessionKeysFor(sessions: readonly Session[]): number[] {
  const keys = new Set<number>();
  for (const s of sessions) {
    const o = sessionMinutes(s.opensAt);
    const c = sessionMinutes(s.closesAt);
    const opens = o === null ? 0 : o + 1;
    const closes = c === null ? 1441 : c;
    for (const day of [...sessionDays(s), ANY_DAY])
      for (let level = 0; OPENS_AXIS >> level >= 1; level++)
        keys.add(sessionKey(day, (OPENS_AXIS >> level) + (opens >> level), closes));
  }
  return [...keys].sort((a, b) => a - b);
}

/** A session filter after validation: day 0..6 or ANY_DAY, bounds in minutes or null. */
export interface SessionQuery {
  day: number;
  startsAtOrAfter: number | null;
  endsAtOrBefore: number | null;
}

/** The key ranges (inclusive) a document must have a key in to pass the session filter. */
export function sessionKeyRanges(q: SessionQuery): [number, number][] {
  const lo = q.startsAtOrAfter === null ? 0 : q.startsAtOrAfter + 1;
  const maxCloses = q.endsAtOrBefore === null ? 1441 : q.endsAtOrBefore;
  const out: [number, number][] = [];
  // [lo, OPENS_AXIS - 1] as dyadic intervals, largest first.
  let a = lo;
  while (a < OPENS_AXIS) {
    let level = 0;
    while (level < 11 && a % (1 << (level + 1)) === 0 && a + (1 << (level + 1)) <= OPENS_AXIS)
      level++;
    if (a === 0) level = 11;
    const node = (OPENS_AXIS >> level) + (a >> level);
    out.push([sessionKey(q.day, node, 0), sessionKey(q.day, node, maxCloses)]);
    a += 1 << level;
  }
  return out;
}

/** The session filter checked on published sessions directly (the in-process indexes). */
export function sessionMatches(sessions: readonly Session[], q: SessionQuery): boolean {
  return sessions.some((s) => {
    if (q.day !== ANY_DAY && !sessionDays(s).includes(q.day)) return false;
    const o = sessionMinutes(s.opensAt);
    const c = sessionMinutes(s.closesAt);
    if (q.startsAtOrAfter !== null && (o === null || o < q.startsAtOrAfter)) return false;
    if (q.endsAtOrBefore !== null && (c === null || c > q.endsAtOrBefore)) return false;
    return true;
  });
}

/** "HH:MM" or "HH:MM:SS" → minutes since midnight; "24:00" → 1440; anything else → null. */
export function minutesOf(time: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

const hourToken = (day: DayCode, hour: number) => `${day}-${String(hour).padStart(2, "0")}`;

export interface ScheduleLike {
  /** RRULE-style day list: "MO", "MO,TU,WE". null means every day. */
  byday: string | null;
  opensAt: string | null;
  closesAt: string | null;
}

/**
 * Opening tokens for a service's schedules: one per open day ("MO") and one per hour the service
 * is open at any point of ("MO-09" for 09:00–09:59). Opens 09:00 closes 17:00 gives MO-09..MO-16.
 * Unknown hours give the day token only (we cannot say it is open at 03:00). A closing time at or
 * before the opening time runs past midnight into the next day.
 */
export function openSlotsFor(schedules: ScheduleLike[]): string[] {
  const slots = new Set<string>();
  for (const s of schedules) {
    const days =
      s.byday === null || s.byday.trim() === ""
        ? [...DAY_CODES]
        : s.byday
            .split(/[\s,;]+/)
            .map(dayCode)
            .filter((d): d is DayCode => d !== null);
    const opens = s.opensAt === null ? null : minutesOf(s.opensAt);
    let closes = s.closesAt === null ? null : minutesOf(s.closesAt);
    for (const day of days) {
      slots.add(day);
      if (opens === null || closes === null) continue;
      if (closes === 0) closes = 1440;
      if (closes > opens) {
        for (let h = Math.floor(opens / 60); h * 60 < closes && h < 24; h++)
          slots.add(hourToken(day, h));
      } else {
        for (let h = Math.floor(opens / 60); h < 24; h++) slots.add(hourToken(day, h));
        const next = DAY_CODES[(DAY_CODES.indexOf(day) + 1) % 7]!;
        if (closes > 0) slots.add(next);
        for (let h = 0; h * 60 < closes; h++) slots.add(hourToken(next, h));
      }
    }
  }
  return [...slots].sort();
}

/**
 * The one token a document must carry to be open at `openAt`: "MO" for a day, "MO-09" for a day
 * and time. null when the day or time is not understood (the caller decides: no match).
 */
export function slotsForOpenAt(openAt: { day: string; time?: string | null }): string | null {
  const day = dayCode(openAt.day);
  if (day === null) return null;
  if (openAt.time === undefined || openAt.time === null || openAt.time === "") return day;
  const minutes = minutesOf(openAt.time);
  if (minutes === null || minutes >= 1440) return null;
  return hourToken(day, Math.floor(minutes / 60));
}

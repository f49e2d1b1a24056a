// Validation and normalisation of search requests and documents, shared by both backends so that
// they agree on defaults, clamping, vocabulary checks and what "no constraint" means.
import {
  AGE_BAND_CODES,
  DELIVERY_MODES,
  NEED_CODES,
  PARTNERS,
  REFERRAL_ROUTE_CODES,
  SERVICE_STATUSES,
} from "../../../schema/vocabulary.ts";
import { analyseQuery, fold, type AnalysedQuery } from "./analysis.ts";
import {
  ANY_DAY,
  DAY_CODES,
  DEFAULT_STATUSES,
  MAX_LIMIT,
  MAX_WINDOW,
  dayCode,
  minutesOf,
  slotsForOpenAt,
  type Session,
  type SessionQuery,
  type SearchRequest,
  type SearchSort,
  type ServiceDoc,
  serviceAtLocationIdsOf,
  sessionKeysFor,
} from "./types.ts";

/** A request a client could fix (bad numbers, page past the window). Maps to BAD_USER_INPUT. */
export class SearchRequestError extends Error {
  override name = "SearchRequestError";
}

const KNOWN = {
  needs: new Set(NEED_CODES),
  partners: new Set<string>(PARTNERS),
  referralRoutes: new Set<string>(REFERRAL_ROUTE_CODES),
  deliveryModes: new Set<string>(DELIVERY_MODES),
  statuses: new Set<string>(SERVICE_STATUSES),
  ageBands: new Set(AGE_BAND_CODES),
};

// BCP 47-ish: "en", "cy", "pt-br", "zh-hant". Anything else cannot be a language we index.
const LANGUAGE = /^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}$/;
// ONS GSS code. Service areas may name authorities beyond the vocabulary's list, so the shape is
// checked rather than membership.
const GSS = /^[ENSW]\d{8}$/;
const MAX_ID_CHARS = 256;

/** Filters after validation. null = no constraint. Values are known codes or safe strings. */
export interface NormalisedFilter {
  needs: string[] | null;
  needsMatch: "ANY" | "ALL";
  age: number | null;
  localAuthorities: string[] | null;
  partners: string[] | null;
  freeOnly: boolean;
  referralRoutes: string[] | null;
  languages: string[] | null;
  deliveryModes: string[] | null;
  acceptingReferrals: boolean | null;
  /** openSlots token a document must carry ("MO" or "MO-09"). */
  openSlot: string | null;
  statuses: string[] | null;
  ids: string[] | null;
  maxWaitWeeks: number | null;
  /** Contract end window as dateKey() days, inclusive. */
  contractFrom: number | null;
  contractTo: number | null;
  reachableFrom: { lat: number; lng: number; radiusKm: number } | null;
  organizations: string[] | null;
  /** lastModified at or after this, in ms since 1970. */
  modifiedSince: number | null;
  /** ageRangeWithin: minAge at least this; a stated maxAge at most that. */
  minAgeAtLeast: number | null;
  maxAgeAtMost: number | null;
  session: SessionQuery | null;
  taxonomyTerms: string[] | null;
  taxonomies: string[] | null;
  serviceAtLocations: string[] | null;
  minLocations: number | null;
  /** Some filter can never match (only unknown codes, an unreadable openAt, ids: []). */
  impossible: boolean;
}

export interface NormalisedRequest {
  /** The query's matchable words (all required) and the words worth highlighting. */
  query: AnalysedQuery;
  filter: NormalisedFilter;
  near: { lat: number; lng: number; radiusKm: number } | null;
  /** The sort actually applied (see SearchRequest.sort). */
  sort: SearchSort;
  limit: number;
  offset: number;
  facets: boolean;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

function codes(
  values: string[] | undefined,
  known: Set<string> | null,
  clean: (s: string) => string | null,
  state: { impossible: boolean },
): string[] | null {
  if (values === undefined || values === null) return null;
  const list = strings(values);
  if (list.length === 0) return null;
  const kept = [
    ...new Set(
      list.map(clean).filter((v): v is string => v !== null && (known === null || known.has(v))),
    ),
  ];
  if (kept.length === 0) state.impossible = true;
  return kept;
}

const upperCode = (s: string) => (s.length > 64 ? null : s.trim().toUpperCase());
const lowerCode = (s: string) => (s.length > 64 ? null : s.trim().toLowerCase());
const gss = (s: string) => {
  const v = upperCode(s);
  return v !== null && GSS.test(v) ? v : null;
};
const language = (s: string) => {
  const v = lowerCode(s);
  return v !== null && LANGUAGE.test(v) ? v : null;
};

function finite(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new SearchRequestError(`${what} must be a finite number`);
  }
  return value;
}

function circle(c: { lat: number; lng: number; radiusKm: number }, what: string) {
  const lat = finite(c?.lat, `${what}.lat`);
  const lng = finite(c?.lng, `${what}.lng`);
  const radiusKm = finite(c?.radiusKm, `${what}.radiusKm`);
  if (lat < -90 || lat > 90 || lng < -180 || lng > 180)
    throw new SearchRequestError(`${what} is not a position on Earth`);
  if (radiusKm <= 0 || radiusKm > MAX_RADIUS_KM)
    throw new SearchRequestError(`${what}.radiusKm must be in (0, ${MAX_RADIUS_KM}]`);
  return { lat, lng, radiusKm };
}

function day(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  const key =
    typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? dateKey(value) : null;
  if (key === null) throw new SearchRequestError(`${what} must be a date, YYYY-MM-DD`);
  return key;
}

function optionalNumber(value: unknown, what: string): number | null {
  return value === undefined || value === null ? null : finite(value, what);
}

/** Ids and names are matched exactly, never parsed: only absurd lengths are dropped. */
const idValue = (s: string) => (s.length > 0 && s.length <= MAX_ID_CHARS ? s : null);

/** A session filter's day and times, or null when one is given but unreadable (no match). */
function sessionQuery(s: NonNullable<SearchRequest["filter"]>["session"]): SessionQuery | null {
  const time = (t: unknown): number | null | undefined => {
    if (t === undefined || t === null) return null;
    if (typeof t !== "string" || t.length > 16) return undefined;
    const m = minutesOf(t);
    return m === null ? undefined : m;
  };
  let day = ANY_DAY;
  if (s?.day !== undefined && s?.day !== null) {
    const code = typeof s.day === "string" && s.day.length <= 16 ? dayCode(s.day) : null;
    if (code === null) return null;
    day = DAY_CODES.indexOf(code);
  }
  const startsAtOrAfter = time(s?.startsAtOrAfter);
  const endsAtOrBefore = time(s?.endsAtOrBefore);
  if (startsAtOrAfter === undefined || endsAtOrBefore === undefined) return null;
  return { day, startsAtOrAfter, endsAtOrBefore };
}

/** Largest radius a search takes: the length of the UK, Shetland to the Isles of Scilly and more. */
export const MAX_RADIUS_KM = 1500;

export function normaliseRequest(req: SearchRequest): NormalisedRequest {
  const f = req.filter ?? {};
  const state = { impossible: false };
  const filter: NormalisedFilter = {
    needs: codes(f.needs, KNOWN.needs, upperCode, state),
    needsMatch: f.needsMatch === "ALL" ? "ALL" : "ANY",
    age: f.age === undefined || f.age === null ? null : finite(f.age, "filter.age"),
    localAuthorities: codes(f.localAuthorities, null, gss, state),
    partners: codes(f.partners, KNOWN.partners, lowerCode, state),
    freeOnly: f.freeOnly === true,
    referralRoutes: codes(f.referralRoutes, KNOWN.referralRoutes, upperCode, state),
    languages: codes(f.languages, null, language, state),
    deliveryModes: codes(f.deliveryModes, KNOWN.deliveryModes, upperCode, state),
    acceptingReferrals: typeof f.acceptingReferrals === "boolean" ? f.acceptingReferrals : null,
    openSlot: null,
    statuses:
      f.statuses === undefined || f.statuses === null
        ? [...DEFAULT_STATUSES]
        : codes(f.statuses, KNOWN.statuses, upperCode, state),
    ids: null,
    maxWaitWeeks:
      f.maxWaitWeeks === undefined || f.maxWaitWeeks === null
        ? null
        : finite(f.maxWaitWeeks, "filter.maxWaitWeeks"),
    contractFrom: day(f.contractEnd?.onOrAfter, "filter.contractEnd.onOrAfter"),
    contractTo: day(f.contractEnd?.onOrBefore, "filter.contractEnd.onOrBefore"),
    reachableFrom:
      f.reachableFrom === undefined || f.reachableFrom === null
        ? null
        : circle(f.reachableFrom, "filter.reachableFrom"),
    organizations: codes(f.organizations, null, idValue, state),
    modifiedSince: null,
    minAgeAtLeast: optionalNumber(f.ageRangeWithin?.minimumAge, "filter.ageRangeWithin.minimumAge"),
    maxAgeAtMost: optionalNumber(f.ageRangeWithin?.maximumAge, "filter.ageRangeWithin.maximumAge"),
    session: null,
    taxonomyTerms: codes(f.taxonomyTerms, null, idValue, state),
    taxonomies: codes(f.taxonomies, null, idValue, state),
    serviceAtLocations: codes(f.serviceAtLocations, null, idValue, state),
    minLocations: optionalNumber(f.minLocations, "filter.minLocations"),
    impossible: false,
  };
  if (f.modifiedSince !== undefined && f.modifiedSince !== null) {
    const t = typeof f.modifiedSince === "string" ? Date.parse(f.modifiedSince) : NaN;
    if (!Number.isFinite(t))
      throw new SearchRequestError("filter.modifiedSince must be an ISO date-time");
    filter.modifiedSince = t;
  }
  if (f.session !== undefined && f.session !== null) {
    const q = sessionQuery(f.session);
    if (q === null) state.impossible = true;
    // No day and no times: no constraint.
    else if (q.day !== ANY_DAY || q.startsAtOrAfter !== null || q.endsAtOrBefore !== null)
      filter.session = q;
  }
  if (
    filter.contractFrom !== null &&
    filter.contractTo !== null &&
    filter.contractFrom > filter.contractTo
  )
    state.impossible = true;
  if (f.openAt !== undefined && f.openAt !== null) {
    const slot =
      typeof f.openAt.day === "string" &&
      f.openAt.day.length <= 16 &&
      (f.openAt.time === undefined ||
        f.openAt.time === null ||
        (typeof f.openAt.time === "string" && f.openAt.time.length <= 16))
        ? slotsForOpenAt(f.openAt)
        : null;
    if (slot === null) state.impossible = true;
    filter.openSlot = slot;
  }
  if (f.ids !== undefined && f.ids !== null) {
    filter.ids = [
      ...new Set(strings(f.ids).filter((id) => id.length > 0 && id.length <= MAX_ID_CHARS)),
    ];
    if (filter.ids.length === 0) state.impossible = true;
  }
  filter.impossible = state.impossible;

  const near: NormalisedRequest["near"] =
    req.near !== undefined && req.near !== null ? circle(req.near, "near") : null;

  const limit = Math.floor(finite(req.limit, "limit"));
  const offset = Math.floor(finite(req.offset, "offset"));
  if (limit < 0 || offset < 0)
    throw new SearchRequestError("limit and offset must not be negative");
  const clampedLimit = Math.min(limit, MAX_LIMIT);
  if (offset + clampedLimit > MAX_WINDOW) {
    throw new SearchRequestError(
      `only the first ${MAX_WINDOW} results can be paged through; narrow the search`,
    );
  }

  const query = analyseQuery(typeof req.query === "string" ? req.query : "");
  return {
    query,
    filter,
    near,
    sort: effectiveSort(req.sort, query.tokens.length > 0, near !== null),
    limit: clampedLimit,
    offset,
    facets: req.facets === true,
  };
}

/**
 * RELEVANCE without words to rank by becomes DISTANCE (with `near`) or NAME; DISTANCE without
 * `near` becomes NAME. A query of stop words or punctuation only has no words to rank by.
 */
export function effectiveSort(
  sort: SearchSort | undefined,
  hasQuery: boolean,
  hasNear: boolean,
): SearchSort {
  const s: SearchSort =
    sort === "DISTANCE" || sort === "NAME" || sort === "WAIT" || sort === "CONTRACT_END"
      ? sort
      : "RELEVANCE";
  if (s === "RELEVANCE" && !hasQuery) return hasNear ? "DISTANCE" : "NAME";
  if (s === "DISTANCE" && !hasNear) return "NAME";
  return s;
}

/** Key names sort by in both backends: folded, spaces collapsed. */
export function nameSortKey(name: string): string {
  return fold(name).replace(/\s+/g, " ").trim();
}

/** Days since 1970 for YYYY-MM-DD, or null. Sort keys put null last. */
export function dateKey(date: string | null): number | null {
  if (!date) return null;
  const t = Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
  return Number.isFinite(t) ? Math.round(t / 86_400_000) : null;
}

/** Sort key stand-in for unknown values, larger than any real one. */
export const LAST = 1e9;

/**
 * The fields an external index (Meilisearch, Orama) filters ORUK requests on, derived from a
 * document in one place for both. A last-modified time that cannot be read is earlier than any
 * `modifiedSince`, as in the embedded index (whose NaN matches none).
 */
export function indexedFilterKeys(doc: ServiceDoc) {
  const modified = Date.parse(doc.lastModified);
  return {
    serviceAtLocations: serviceAtLocationIdsOf(doc),
    modifiedMs: Number.isFinite(modified) ? modified : Number.MIN_SAFE_INTEGER,
    maxAgeStatedKey: doc.maxAgeStated ? doc.maxAge : LAST,
    sessionKeys: sessionKeysFor(doc.schedules),
    locationCount: doc.locationIds.length,
  };
}

// Codes repeat across documents (each has ~45 opening tokens); one shared copy of each string
// keeps a 100k-document index from holding millions of duplicates.
const interned = new Map<string, string>();
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size < 100_000) interned.set(s, s);
  return s;
}
const list = (v: unknown) => [...new Set(strings(v))];
const codeList = (v: unknown) => list(v).map(intern);
// Opening hours repeat ("Mon–Fri 9–5" everywhere): identical slot lists share one frozen array.
const internedLists = new Map<string, readonly string[]>();
function internList(values: string[]): string[] {
  const key = values.join("\u0000");
  const hit = internedLists.get(key);
  if (hit) return hit as string[];
  const frozen = Object.freeze(values);
  if (internedLists.size < 10_000) internedLists.set(key, frozen);
  return frozen as string[];
}

/**
 * A defensive copy of a document with arrays present, languages lower-cased and an impossible
 * location dropped. Both backends index this, so a partner's odd data cannot break search.
 * openSlots may be a shared frozen array: copy before mutating.
 */
export function normaliseDoc(doc: ServiceDoc): ServiceDoc {
  if (typeof doc?.id !== "string" || doc.id === "") {
    throw new TypeError("ServiceDoc.id must be a non-empty string");
  }
  const loc = doc.location;
  const location =
    loc &&
    Number.isFinite(loc.lat) &&
    Number.isFinite(loc.lng) &&
    Math.abs(loc.lat) <= 90 &&
    Math.abs(loc.lng) <= 180
      ? { lat: loc.lat, lng: loc.lng }
      : null;
  const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : d);
  return {
    id: doc.id,
    partner: intern(String(doc.partner ?? "")),
    name: String(doc.name ?? ""),
    description: String(doc.description ?? ""),
    organizationName: String(doc.organizationName ?? ""),
    status: intern(String(doc.status ?? "")),
    alert: typeof doc.alert === "string" && doc.alert !== "" ? doc.alert : null,
    needs: codeList(doc.needs),
    referralRoutes: codeList(doc.referralRoutes),
    languages: list(doc.languages).map((l) => intern(l.trim().toLowerCase())),
    deliveryModes: codeList(doc.deliveryModes),
    localAuthorities: codeList(doc.localAuthorities),
    ageBands: codeList(doc.ageBands),
    minAge: num(doc.minAge, 0),
    maxAge: num(doc.maxAge, 25),
    free: doc.free === true,
    acceptingReferrals: doc.acceptingReferrals === true,
    typicalWaitWeeks:
      typeof doc.typicalWaitWeeks === "number" && Number.isFinite(doc.typicalWaitWeeks)
        ? doc.typicalWaitWeeks
        : null,
    contractEndDate:
      typeof doc.contractEndDate === "string" && doc.contractEndDate !== ""
        ? doc.contractEndDate
        : null,
    openSlots: internList(codeList(doc.openSlots)),
    location,
    postcodes: list(doc.postcodes),
    lastModified: String(doc.lastModified ?? ""),
    // Copies stored before these fields existed: what the card says, else nothing.
    organizationId: String(doc.organizationId ?? doc.card?.organizationId ?? ""),
    maxAgeStated:
      typeof doc.maxAgeStated === "boolean"
        ? doc.maxAgeStated
        : doc.card
          ? doc.card.maximumAge !== null
          : true,
    taxonomyTerms: list(doc.taxonomyTerms),
    taxonomies: codeList(doc.taxonomies),
    schedules: Array.isArray(doc.schedules) ? doc.schedules.map(session) : [],
    locationIds: Array.isArray(doc.locationIds)
      ? list(doc.locationIds)
      : (doc.card?.locations.map((l) => l.id) ?? []),
    stale: doc.stale === true,
    ...(doc.card ? { card: doc.card } : {}),
  };
}

function session(s: Session): Session {
  const time = (t: unknown) => (typeof t === "string" && t !== "" ? t.slice(0, 8) : null);
  return {
    byDay: codeList(s?.byDay).map((d) => intern(d.trim().toUpperCase())),
    opensAt: time(s?.opensAt),
    closesAt: time(s?.closesAt),
  };
}

const EARTH_RADIUS_KM = 6371;
/** Great-circle distance in km (haversine; Meilisearch uses the same formula and radius). */
export function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Facet rows: non-zero counts, count descending then value ascending. */
export function facetRows(counts: Iterable<[string, number]>): { value: string; count: number }[] {
  return [...counts]
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([value, count]) => ({ value, count }));
}

// Builds Meilisearch filter expressions structurally from a normalised request. Attribute names
// are constants; vocabulary values were checked against the vocabulary by normaliseRequest; every
// string value is double-quoted with `\` and `"` escaped; numbers are finite by construction. User
// text is never pasted into filter syntax.
import { TRAVEL_FREE_DELIVERY_MODES } from "../../../schema/vocabulary.ts";
import type { NormalisedFilter, NormalisedRequest } from "./request.ts";
import { sessionKeyRanges } from "./types.ts";

/** A double-quoted Meilisearch filter string literal (Meilisearch ≥ 1.4 unescapes \\ and \"). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A number in plain decimal notation (the filter parser does not read exponents). */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return Number.isInteger(value)
    ? String(value)
    : value.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
}

const anyOf = (attribute: string, values: string[]) =>
  `${attribute} IN [${values.map(quote).join(", ")}]`;

/**
 * The filter for a request as a list of clauses Meilisearch ANDs together, or null when the
 * request can never match (the caller then answers "no results" without a round trip).
 */
export function buildMeiliFilter(req: Pick<NormalisedRequest, "filter" | "near">): string[] | null {
  const f: NormalisedFilter = req.filter;
  if (f.impossible) return null;
  const clauses: string[] = [];
  if (f.statuses !== null) clauses.push(anyOf("status", f.statuses));
  if (f.partners !== null) clauses.push(anyOf("partner", f.partners));
  if (f.localAuthorities !== null) clauses.push(anyOf("localAuthorities", f.localAuthorities));
  if (f.needs !== null) {
    if (f.needsMatch === "ALL") for (const n of f.needs) clauses.push(`needs = ${quote(n)}`);
    else clauses.push(anyOf("needs", f.needs));
  }
  if (f.referralRoutes !== null) clauses.push(anyOf("referralRoutes", f.referralRoutes));
  if (f.languages !== null) clauses.push(anyOf("languages", f.languages));
  if (f.deliveryModes !== null) clauses.push(anyOf("deliveryModes", f.deliveryModes));
  if (f.freeOnly) clauses.push(`cost = ${quote("free")}`);
  if (f.acceptingReferrals !== null)
    clauses.push(`acceptingReferrals = ${f.acceptingReferrals ? "true" : "false"}`);
  if (f.openSlot !== null) clauses.push(`openSlots = ${quote(f.openSlot)}`);
  if (f.ids !== null) clauses.push(anyOf("id", f.ids));
  if (f.age !== null) clauses.push(`minAge <= ${num(f.age)}`, `maxAge >= ${num(f.age)}`);
  // waitFilter is 0 for "no wait given"; contractSort is LAST for "no end date".
  if (f.maxWaitWeeks !== null) clauses.push(`waitFilter <= ${num(f.maxWaitWeeks)}`);
  if (f.contractFrom !== null) clauses.push(`contractSort >= ${num(f.contractFrom)}`);
  if (f.contractTo !== null) clauses.push(`contractSort <= ${num(f.contractTo)}`);
  if (f.organizations !== null) clauses.push(anyOf("organizationId", f.organizations));
  if (f.taxonomyTerms !== null) clauses.push(anyOf("taxonomyTerms", f.taxonomyTerms));
  if (f.taxonomies !== null) clauses.push(anyOf("taxonomies", f.taxonomies));
  if (f.serviceAtLocations !== null)
    clauses.push(anyOf("serviceAtLocations", f.serviceAtLocations));
  // modifiedMs is -1 for an unreadable date; maxAgeStatedKey is LAST for "no maximum stated".
  if (f.modifiedSince !== null) clauses.push(`modifiedMs >= ${num(f.modifiedSince)}`);
  if (f.minAgeAtLeast !== null) clauses.push(`minAge >= ${num(f.minAgeAtLeast)}`);
  if (f.maxAgeAtMost !== null) clauses.push(`maxAgeStatedKey <= ${num(f.maxAgeAtMost)}`);
  if (f.minLocations !== null) clauses.push(`locationCount >= ${num(f.minLocations)}`);
  // One range per dyadic interval of opening times (see sessionKeysFor): a key inside any range
  // is one session that both opens late enough and closes early enough.
  if (f.session !== null)
    clauses.push(
      sessionKeyRanges(f.session)
        .map(([lo, hi]) => `sessionKeys ${num(lo)} TO ${num(hi)}`)
        .join(" OR "),
    );
  if (f.reachableFrom !== null) {
    const { lat, lng, radiusKm } = f.reachableFrom;
    clauses.push(
      `_geoRadius(${num(lat)}, ${num(lng)}, ${num(Math.round(radiusKm * 1000))}) OR located = false OR ${anyOf("deliveryModes", [...TRAVEL_FREE_DELIVERY_MODES])}`,
    );
  }
  if (req.near) {
    const { lat, lng, radiusKm } = req.near;
    clauses.push(`_geoRadius(${num(lat)}, ${num(lng)}, ${num(Math.round(radiusKm * 1000))})`);
  }
  return clauses;
}

/** Clauses joined into one expression, for logging and for APIs that take a single string. */
export function filterExpression(clauses: string[]): string | undefined {
  return clauses.length === 0 ? undefined : clauses.map((c) => `(${c})`).join(" AND ");
}

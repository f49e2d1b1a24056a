// Recognises what an import file is — one record, a list, an API page, a Wayfinder bundle, an HSDS
// tabular package — and lays its records out by kind, so validation sees the same thing whatever
// shape a council happened to publish. Anything else is refused with a sentence saying what it is.
import { isTabularJson, joinTables } from "./tabular.ts";

type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export type RecordKind =
  "service" | "organization" | "location" | "service_at_location" | "taxonomy" | "taxonomy_term";

/** The file's records by kind, as found (not yet validated). */
export interface RawFeed {
  /** What the file was, in words: "an HSDS 3.0 / ORUK page of services (contents)". */
  kind: string;
  services: { record: unknown; label: string }[];
  organizations: { record: unknown; label: string }[];
  locations: { record: unknown; label: string }[];
  taxonomies: { record: unknown; label: string }[];
  taxonomy_terms: { record: unknown; label: string }[];
  co_deliveries: { record: unknown; label: string }[];
}

/** A file that is well-formed JSON but not something Wayfinder can import; the message says what it is. */
export class HsdsShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HsdsShapeError";
  }
}

const KIND_WORDS: Record<RecordKind, string> = {
  service: "service",
  organization: "organization",
  location: "location",
  service_at_location: "service_at_location",
  taxonomy: "taxonomy",
  taxonomy_term: "taxonomy term",
};

const has = (o: Obj, ...keys: string[]) => keys.some((k) => o[k] !== undefined && o[k] !== null);

/** Which HSDS object one record is, from the fields that only that object has. */
export function recordKind(o: Obj): RecordKind | undefined {
  if (has(o, "service") && has(o, "location", "location_id")) return "service_at_location";
  if (has(o, "service_id") && has(o, "location_id") && !has(o, "status"))
    return "service_at_location";
  if (has(o, "status") || has(o, "service_at_locations", "service_areas")) return "service";
  if (Array.isArray(o.taxonomy_terms)) return "taxonomy";
  if (has(o, "taxonomy", "taxonomy_detail", "taxonomy_id", "term_uri", "term", "vocabulary"))
    return "taxonomy_term";
  if (has(o, "location_type", "latitude", "longitude", "addresses", "transportation"))
    return "location";
  if (
    has(
      o,
      "services",
      "website",
      "organization_identifiers",
      "legal_status",
      "tax_status",
      "year_incorporated",
      "logo",
      "parent_organization_id",
      "programs",
    )
  )
    return "organization";
  // A taxonomy has only id, name, description, uri and version.
  if (has(o, "uri", "version") && has(o, "name")) return "taxonomy";
  return undefined;
}

const BUNDLE_KEYS = [
  "organizations",
  "services",
  "co_deliveries",
  "locations",
  "taxonomies",
  "taxonomy_terms",
] as const;

function labelFor(collection: string, index: number | undefined, record: unknown): string {
  const parts: string[] = [];
  if (isObject(record)) {
    if (typeof record.id === "string" || typeof record.id === "number")
      parts.push(`id ${short(record.id)}`);
    if (typeof record.name === "string") parts.push(`name ${short(record.name)}`);
  }
  const head = index === undefined ? collection : `${collection}[${index}]`;
  return `${head}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

export function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function emptyFeed(kind: string): RawFeed {
  return {
    kind,
    services: [],
    organizations: [],
    locations: [],
    taxonomies: [],
    taxonomy_terms: [],
    co_deliveries: [],
  };
}

/**
 * Puts one record where it belongs. Services nested in an organization, and the service and
 * location nested in a service_at_location, become services with the organization / location
 * nested the way service_full has them.
 */
function place(feed: RawFeed, kind: RecordKind, record: Obj, label: string) {
  switch (kind) {
    case "service":
      feed.services.push({ record, label });
      return;
    case "organization": {
      const { services, ...org } = record;
      feed.organizations.push({ record: org, label });
      if (Array.isArray(services))
        services.forEach((svc, i) => {
          const nested =
            isObject(svc) && svc.organization == null && svc.organization_id == null
              ? { ...svc, organization_id: org.id }
              : svc;
          feed.services.push({ record: nested, label: labelFor(`${label} services`, i, svc) });
        });
      return;
    }
    case "location":
      feed.locations.push({ record, label });
      return;
    case "service_at_location": {
      const svc = record.service;
      if (!isObject(svc)) {
        // A bare link row (service_id, location_id) means nothing without its service.
        feed.services.push({ record, label });
        return;
      }
      const { service: _s, location, location_id, ...rest } = record;
      const sal = { ...rest, ...(isObject(location) ? { location } : { location_id }) };
      const existing = Array.isArray(svc.service_at_locations) ? svc.service_at_locations : [];
      feed.services.push({
        record: { ...svc, service_at_locations: [...existing, sal] },
        label: `${label} service`,
      });
      return;
    }
    case "taxonomy": {
      const { taxonomy_terms, ...tax } = record;
      feed.taxonomies.push({ record: tax, label });
      if (Array.isArray(taxonomy_terms))
        taxonomy_terms.forEach((t, i) => {
          const term =
            isObject(t) && t.taxonomy_id === undefined ? { ...t, taxonomy_id: tax.id } : t;
          feed.taxonomy_terms.push({
            record: term,
            label: labelFor(`${label} taxonomy_terms`, i, t),
          });
        });
      return;
    }
    case "taxonomy_term":
      feed.taxonomy_terms.push({ record, label });
  }
}

function describeUnknown(o: Obj): string {
  const keys = Object.keys(o);
  return `a JSON object with ${keys.length ? `fields ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}` : "no fields"}`;
}

/** A list of records of one kind (an array, or a page's contents). */
function placeList(feed: RawFeed, items: unknown[], collection: string) {
  const kinds = new Set<RecordKind>();
  items.forEach((item, i) => {
    const label = labelFor(collection, i, item);
    const kind = isObject(item) ? recordKind(item) : undefined;
    // Unrecognised items go to services so validation names what they lack.
    if (kind) kinds.add(kind);
    place(feed, kind ?? "service", isObject(item) ? item : ({ value: item } as Obj), label);
    if (!isObject(item)) feed.services[feed.services.length - 1].record = item;
  });
  return [...kinds];
}

function plural(kinds: RecordKind[]): string {
  if (kinds.length === 0) return "records";
  return kinds.map((k) => `${KIND_WORDS[k]}s`.replace("ys", "ies")).join(" and ");
}

/**
 * Lays out any accepted file. Throws HsdsShapeError naming what the file is when it holds nothing
 * to import (an API root document, an OpenAPI description, an empty object).
 */
export function unwrapFeed(input: unknown): RawFeed {
  if (Array.isArray(input)) {
    const feed = emptyFeed("");
    const kinds = placeList(feed, input, "");
    feed.kind = `a list of ${input.length} ${plural(kinds)}`;
    return feed;
  }
  if (!isObject(input))
    throw new HsdsShapeError(
      `expected a JSON object or array (got ${short(input)}): an HSDS record, a list or page of them, or a Wayfinder bundle`,
    );
  if (typeof input.openapi === "string" || typeof input.swagger === "string")
    throw new HsdsShapeError(
      `this is an OpenAPI description of an API (${short(input.openapi ?? input.swagger)}), not data; to pull from an ORUK API use --url <its base URL>`,
    );
  if (has(input, "openapi_url") || (has(input, "version", "profile") && !has(input, "id")))
    throw new HsdsShapeError(
      "this is an HSDS API root document (what GET / returns: version, profile, openapi_url); it holds no records. To pull from that API use --url <its base URL>",
    );
  if (Array.isArray(input.resources) && has(input, "profile", "name"))
    throw new HsdsShapeError(
      "this is a tabular datapackage descriptor; import the folder that holds it and its CSV files instead",
    );
  if (isTabularJson(input)) {
    const { "(tables)": tables, ...joined } = joinTables(input);
    const feed = unwrapFeed(joined);
    feed.kind = `an HSDS 3.0 tabular package (${String(tables)} tables, ${feed.services.length} services)`;
    return feed;
  }
  for (const key of ["contents", "content"] as const) {
    if (key in input && !("services" in input)) {
      const items = input[key];
      if (!Array.isArray(items))
        throw new HsdsShapeError(
          `${key}: must be an array of records (this looks like an API page)`,
        );
      const feed = emptyFeed("");
      const kinds = placeList(feed, items, key);
      const which = key === "content" ? "an ORUK 1.0 page" : "an HSDS 3.0 / ORUK page";
      feed.kind = `${which} of ${items.length} ${plural(kinds)} (${key})`;
      return feed;
    }
  }
  if (!has(input, "id") && BUNDLE_KEYS.some((k) => k in input)) {
    const feed = emptyFeed("a Wayfinder bundle");
    for (const k of BUNDLE_KEYS) {
      const v = input[k];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw new HsdsShapeError(`${k}: must be an array`);
      v.forEach((record, i) => {
        const label = labelFor(k, i, record);
        if (k === "co_deliveries") feed.co_deliveries.push({ record, label });
        else if (k === "services") feed.services.push({ record, label });
        else if (k === "locations") feed.locations.push({ record, label });
        else if (isObject(record))
          place(
            feed,
            k === "organizations"
              ? "organization"
              : k === "taxonomies"
                ? "taxonomy"
                : "taxonomy_term",
            record,
            label,
          );
        else
          (k === "organizations"
            ? feed.organizations
            : k === "taxonomies"
              ? feed.taxonomies
              : feed.taxonomy_terms
          ).push({ record, label });
      });
    }
    return feed;
  }
  const kind = recordKind(input);
  if (!kind) {
    if (has(input, "id") && has(input, "name")) {
      // Named like a record but carrying no field that tells which: treat as a service so the
      // problems (a service needs a status) are named precisely.
      const feed = emptyFeed("one record");
      feed.services.push({ record: input, label: labelFor("service", undefined, input) });
      return feed;
    }
    throw new HsdsShapeError(
      `${describeUnknown(input)}: not an HSDS record (service, organization, service_at_location, location, taxonomy, taxonomy term), a list or page of them, or a Wayfinder bundle`,
    );
  }
  const feed = emptyFeed(`one HSDS ${KIND_WORDS[kind]}`);
  place(feed, kind, input, labelFor(kind, undefined, input));
  return feed;
}

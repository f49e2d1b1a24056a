// Checks an import file before anything touches the database, and reports every problem at once
// (up to a cap) so a partner can fix a feed in one pass rather than one error per run.
import {
  DELIVERY_MODES,
  HSDS_STATUS,
  NEED_CODES,
  PARTNERS,
  REFERRAL_ROUTE_CODES,
} from "../../../schema/vocabulary.ts";
import type { HsdsBundle, HsdsOrganization, HsdsService, WayfinderCoDelivery } from "./format.ts";

export interface HsdsIssue {
  /** Which record: `services[3] (id "abc", name "Family Hub")`, or `(file)`. */
  record: string;
  /** Field path inside the record: `service_at_locations[0].location.latitude`; "" for the record. */
  path: string;
  problem: string;
}

export const MAX_ISSUES = 50;

export class HsdsValidationError extends Error {
  readonly issues: HsdsIssue[];
  /** Issues found beyond MAX_ISSUES, counted but not listed. */
  readonly omitted: number;

  constructor(issues: HsdsIssue[], omitted = 0) {
    const total = issues.length + omitted;
    const lines = issues.map((i) => `  - ${formatIssue(i)}`);
    if (omitted > 0) lines.push(`  … and ${omitted} more`);
    super(`Invalid HSDS file: ${total} problem${total === 1 ? "" : "s"}\n${lines.join("\n")}`);
    this.name = "HsdsValidationError";
    this.issues = issues;
    this.omitted = omitted;
  }
}

export function formatIssue(issue: HsdsIssue): string {
  return issue.path
    ? `${issue.record}: ${issue.path}: ${issue.problem}`
    : `${issue.record}: ${issue.problem}`;
}

const NEEDS = new Set(NEED_CODES);
const ROUTES = new Set<string>(REFERRAL_ROUTE_CODES);
const MODES = new Set<string>(DELIVERY_MODES);
const STATUSES = Object.keys(HSDS_STATUS);
const LOCATION_TYPES = ["physical", "postal", "virtual"];

export const GSS_CODE = /^[EWSN]\d{8}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME = /^(([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?|24:00(:00)?)$/;
const BYDAY_TOKEN = /^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$/;
/** What Wayfinder accepts as an email address, in imports and in partner updates alike. */
export const EMAIL = /^[^\s@"<>()\[\],;:]+@[^\s@"<>()\[\],;:]+\.[A-Za-z]{2,}$/;
// Feeds often omit the scheme ("www.example.org/x"); that is still a usable link.
const BARE_URL = /^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?([/?#]\S*)?$/i;
const SERVICE_REF = new RegExp(`^(${PARTNERS.join("|")}):\\S+$`);

/** The GSS code of a service area: `extent` when extent_type is "gss", else a GSS-shaped `uri` tail. */
export function gssCodeOf(area: {
  extent?: string | null;
  extent_type?: string | null;
  uri?: string | null;
}): string | undefined {
  if (typeof area.extent_type === "string" && area.extent_type.toLowerCase() === "gss") {
    return typeof area.extent === "string" && GSS_CODE.test(area.extent.trim())
      ? area.extent.trim()
      : undefined;
  }
  if (typeof area.uri === "string") {
    const tail =
      area.uri
        .replace(/[/#?]+$/, "")
        .split(/[/#=]/)
        .pop() ?? "";
    if (GSS_CODE.test(tail)) return tail;
  }
  return undefined;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;
const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

class Collector {
  readonly issues: HsdsIssue[] = [];
  omitted = 0;

  add(record: () => string, path: string, problem: string) {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ record: record(), path, problem });
    else this.omitted++;
  }
}

/** Labels a record lazily: building the label costs time, and most records have no issue. */
function labelOf(collection: string, index: number, record: unknown): () => string {
  return () => {
    const parts: string[] = [];
    if (isObject(record)) {
      if (typeof record.id === "string" || typeof record.id === "number")
        parts.push(`id ${show(record.id)}`);
      if (typeof record.name === "string") parts.push(`name ${show(record.name)}`);
    }
    const head = collection === "service" ? collection : `${collection}[${index}]`;
    return `${head}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  };
}

interface Where {
  record: () => string;
  path: string;
}

/** Field checks for one record; `path` prefixes every reported field. */
class RecordChecker {
  constructor(
    private readonly out: Collector,
    private readonly record: () => string,
  ) {}

  issue(path: string, problem: string) {
    this.out.add(this.record, path, problem);
  }

  id(obj: Obj, path: string, seen?: Map<string, Where>, kind?: string): string | undefined {
    const v = obj.id;
    if (typeof v !== "string" || v.trim() === "") {
      this.issue(
        join(path, "id"),
        absent(v) ? "is required" : `must be a non-empty string (got ${show(v)})`,
      );
      return undefined;
    }
    if (seen) {
      const first = seen.get(v);
      if (first === undefined) seen.set(v, { record: this.record, path });
      else {
        const where = `${first.record()}${first.path ? ` ${first.path}` : ""}`;
        this.issue(join(path, "id"), `${kind ?? "id"} ${show(v)} is also used by ${where}`);
      }
    }
    return v;
  }

  requiredString(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (typeof v === "string" && v.trim() !== "") return v;
    this.issue(
      join(path, key),
      absent(v) ? "is required" : `must be a non-empty string (got ${show(v)})`,
    );
    return undefined;
  }

  optionalString(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (absent(v)) return undefined;
    if (typeof v !== "string") {
      this.issue(join(path, key), `must be a string (got ${show(v)})`);
      return undefined;
    }
    return v;
  }

  matching(obj: Obj, key: string, path: string, test: (s: string) => boolean, what: string) {
    const v = this.optionalString(obj, key, path);
    if (v !== undefined && v !== "" && !test(v))
      this.issue(join(path, key), `must be ${what} (got ${show(v)})`);
    return v;
  }

  email(obj: Obj, key: string, path: string) {
    return this.matching(obj, key, path, (s) => EMAIL.test(s.trim()), "an email address");
  }

  url(obj: Obj, key: string, path: string) {
    return this.matching(obj, key, path, isPlausibleUrl, "an http(s) URL");
  }

  date(obj: Obj, key: string, path: string) {
    return this.matching(obj, key, path, isIsoDate, "a date YYYY-MM-DD");
  }

  dateTime(obj: Obj, key: string, path: string) {
    return this.matching(
      obj,
      key,
      path,
      (s) => (DATE_TIME.test(s) || DATE.test(s)) && !Number.isNaN(Date.parse(s)),
      "an ISO 8601 date-time",
    );
  }

  time(obj: Obj, key: string, path: string) {
    return this.matching(obj, key, path, (s) => TIME.test(s), "a time HH:MM or HH:MM:SS");
  }

  boolean(obj: Obj, key: string, path: string) {
    const v = obj[key];
    if (!absent(v) && typeof v !== "boolean")
      this.issue(join(path, key), `must be true or false (got ${show(v)})`);
  }

  number(obj: Obj, key: string, path: string, min: number, max: number, integer = false) {
    const v = obj[key];
    if (absent(v)) return undefined;
    const ok = typeof v === "number" && Number.isFinite(v) && (!integer || Number.isInteger(v));
    if (!ok || (v as number) < min || (v as number) > max) {
      this.issue(
        join(path, key),
        `must be ${integer ? "an integer" : "a number"} between ${min} and ${max} (got ${show(v)})`,
      );
      return undefined;
    }
    return v as number;
  }

  /** An optional array; yields [item, index, path] for each element that is an object. */
  *objects(obj: Obj, key: string, path: string): Generator<[Obj, string]> {
    const v = obj[key];
    if (absent(v)) return;
    if (!Array.isArray(v)) {
      this.issue(join(path, key), `must be an array (got ${show(v)})`);
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const p = `${join(path, key)}[${i}]`;
      if (isObject(v[i])) yield [v[i] as Obj, p];
      else this.issue(p, `must be an object (got ${show(v[i])})`);
    }
  }

  codes(obj: Obj, key: string, path: string, allowed: Set<string>, what: string, hint: string) {
    const v = obj[key];
    if (absent(v)) return;
    if (!Array.isArray(v)) {
      this.issue(join(path, key), `must be an array of ${what} codes (got ${show(v)})`);
      return;
    }
    v.forEach((code, i) => {
      if (typeof code !== "string" || !allowed.has(code))
        this.issue(`${join(path, key)}[${i}]`, `unknown ${what} code ${show(code)} (${hint})`);
    });
  }

  object(obj: Obj, key: string, path: string): Obj | undefined {
    const v = obj[key];
    if (absent(v)) return undefined;
    if (!isObject(v)) {
      this.issue(join(path, key), `must be an object (got ${show(v)})`);
      return undefined;
    }
    return v;
  }
}

function join(path: string, key: string) {
  return path ? `${path}.${key}` : key;
}

function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function isPlausibleUrl(s: string): boolean {
  const t = s.trim();
  if (/^https?:\/\//i.test(t)) {
    try {
      return new URL(t).hostname.includes(".") || new URL(t).hostname === "localhost";
    } catch {
      return false;
    }
  }
  return BARE_URL.test(t);
}

/** Shape of the input: a bundle, a bare service array, an ORUK page or a single service. */
function unwrap(
  input: unknown,
  out: Collector,
): { services: unknown[]; collection: string; bundle?: Obj } | undefined {
  const file = () => "(file)";
  if (Array.isArray(input)) return { services: input, collection: "" };
  if (!isObject(input)) {
    out.add(file, "", `expected a JSON object or array (got ${show(input)})`);
    return undefined;
  }
  if ("contents" in input && !("services" in input)) {
    if (!Array.isArray(input.contents)) {
      out.add(file, "contents", "must be an array of services");
      return undefined;
    }
    return { services: input.contents, collection: "contents" };
  }
  const known = ["organizations", "services", "co_deliveries", "locations"];
  if (!known.some((k) => k in input)) {
    // A single service_full object: what an ORUK GET /services/{id} returns.
    if ("id" in input && "name" in input) return { services: [input], collection: "service" };
    out.add(
      file,
      "",
      "expected a bundle {organizations, services, co_deliveries}, an array of services, an ORUK page {contents} or one service",
    );
    return undefined;
  }
  for (const k of known) {
    if (!absent(input[k]) && !Array.isArray(input[k])) out.add(file, k, "must be an array");
  }
  const services = Array.isArray(input.services) ? input.services : [];
  return { services, collection: "services", bundle: input };
}

/**
 * Validates an import file (any accepted shape) and returns it as a bundle. Throws
 * HsdsValidationError listing every problem (up to MAX_ISSUES) with record and field.
 */
export function validateHsds(input: unknown): HsdsBundle {
  const out = new Collector();
  const shape = unwrap(input, out);
  if (!shape) throw new HsdsValidationError(out.issues, out.omitted);

  const bundle = shape.bundle;
  const arr = (k: string): unknown[] => (bundle && Array.isArray(bundle[k]) ? bundle[k] : []);
  const topOrgs = arr("organizations");
  const topLocations = arr("locations");
  const coDeliveries = arr("co_deliveries");
  const services = shape.services;

  // Ids must be unique per table, since each becomes a primary key.
  const seen = {
    organization: new Map<string, Where>(),
    service: new Map<string, Where>(),
    location: new Map<string, Where>(),
    service_at_location: new Map<string, Where>(),
    service_area: new Map<string, Where>(),
    schedule: new Map<string, Where>(),
    cost_option: new Map<string, Where>(),
    contact: new Map<string, Where>(),
    language: new Map<string, Where>(),
    co_delivery: new Map<string, Where>(),
  };
  const orgIds = new Set<string>();
  const locationIds = new Set<string>();
  // References are checked once every record has been seen, so order in the file does not matter.
  const orgRefs: { check: RecordChecker; path: string; id: string }[] = [];
  const locationRefs: { check: RecordChecker; path: string; id: string }[] = [];

  const checkOrganization = (check: RecordChecker, org: Obj, path: string, unique: boolean) => {
    const id = check.id(org, path, unique ? seen.organization : undefined, "organization id");
    if (id) orgIds.add(id);
    check.requiredString(org, "name", path);
    check.optionalString(org, "description", path);
    check.optionalString(org, "legal_status", path);
    check.email(org, "email", path);
    check.url(org, "website", path);
    check.url(org, "url", path);
    for (const [ident, p] of check.objects(org, "organization_identifiers", path)) {
      check.optionalString(ident, "identifier_scheme", p);
      check.optionalString(ident, "identifier", p);
    }
    const ext = check.object(org, "wayfinder", path);
    if (ext) check.optionalString(ext, "charity_number", join(path, "wayfinder"));
  };

  const checkLocation = (check: RecordChecker, loc: Obj, path: string, unique: boolean) => {
    // The same location may be nested under many services (a family hub hosting several), so
    // nested ids are not required to be unique; listed ones are.
    const id = check.id(loc, path, unique ? seen.location : undefined, "location id");
    if (id) locationIds.add(id);
    check.matching(
      loc,
      "location_type",
      path,
      (s) => LOCATION_TYPES.includes(s),
      `one of ${LOCATION_TYPES.join(", ")}`,
    );
    check.optionalString(loc, "name", path);
    check.optionalString(loc, "description", path);
    const lat = check.number(loc, "latitude", path, -90, 90);
    const lng = check.number(loc, "longitude", path, -180, 180);
    if (absent(loc.latitude) !== absent(loc.longitude) && (lat !== undefined || lng !== undefined))
      check.issue(
        join(path, absent(loc.latitude) ? "latitude" : "longitude"),
        "is required when the other coordinate is given",
      );
    const orgId = check.optionalString(loc, "organization_id", path);
    if (orgId) orgRefs.push({ check, path: join(path, "organization_id"), id: orgId });
    for (const [addr, p] of check.objects(loc, "addresses", path)) {
      for (const k of [
        "address_1",
        "address_2",
        "city",
        "region",
        "state_province",
        "postal_code",
        "country",
        "address_type",
      ])
        check.optionalString(addr, k, p);
    }
    const ext = check.object(loc, "wayfinder", path);
    if (ext) check.boolean(ext, "confidential", join(path, "wayfinder"));
  };

  const checkPhone = (check: RecordChecker, phone: Obj, path: string) => {
    check.id(phone, path);
    check.requiredString(phone, "number", path);
  };

  topOrgs.forEach((org, i) => {
    const check = new RecordChecker(out, labelOf("organizations", i, org));
    if (!isObject(org)) check.issue("", `must be an object (got ${show(org)})`);
    else checkOrganization(check, org, "", true);
  });

  topLocations.forEach((loc, i) => {
    const check = new RecordChecker(out, labelOf("locations", i, loc));
    if (!isObject(loc)) check.issue("", `must be an object (got ${show(loc)})`);
    else checkLocation(check, loc, "", true);
  });

  services.forEach((svc, i) => {
    const check = new RecordChecker(out, labelOf(shape.collection, i, svc));
    if (!isObject(svc)) {
      check.issue("", `must be an object (got ${show(svc)})`);
      return;
    }
    check.id(svc, "", seen.service, "service id");
    check.requiredString(svc, "name", "");
    const status = svc.status;
    if (typeof status !== "string" || !(status in HSDS_STATUS))
      check.issue(
        "status",
        absent(status)
          ? `is required (one of ${STATUSES.join(", ")})`
          : `must be one of ${STATUSES.join(", ")} (got ${show(status)})`,
      );
    for (const k of [
      "alternate_name",
      "description",
      "application_process",
      "fees_description",
      "fees",
      "eligibility_description",
      "alert",
    ])
      check.optionalString(svc, k, "");
    check.url(svc, "url", "");
    check.email(svc, "email", "");
    const min = check.number(svc, "minimum_age", "", 0, 120, true);
    const max = check.number(svc, "maximum_age", "", 0, 120, true);
    if (min !== undefined && max !== undefined && min > max)
      check.issue("minimum_age", `must not be greater than maximum_age (${min} > ${max})`);

    const org = check.object(svc, "organization", "");
    if (org) checkOrganization(check, org, "organization", false);
    const orgId = check.optionalString(svc, "organization_id", "");
    if (org && orgId && typeof org.id === "string" && org.id !== orgId)
      check.issue("organization_id", `${show(orgId)} differs from organization.id ${show(org.id)}`);
    if (!org && orgId) orgRefs.push({ check, path: "organization_id", id: orgId });
    if (!org && !orgId)
      check.issue("organization_id", "is required (or nest an organization object)");

    for (const [sal, p] of check.objects(svc, "service_at_locations", "")) {
      check.id(sal, p, seen.service_at_location, "service_at_location id");
      check.optionalString(sal, "description", p);
      const loc = check.object(sal, "location", p);
      if (loc) checkLocation(check, loc, join(p, "location"), false);
      else {
        const locId = check.optionalString(sal, "location_id", p);
        if (locId) locationRefs.push({ check, path: join(p, "location_id"), id: locId });
        else check.issue(join(p, "location"), "is required (or give location_id)");
      }
    }
    for (const [area, p] of check.objects(svc, "service_areas", "")) {
      check.id(area, p, seen.service_area, "service_area id");
      check.optionalString(area, "name", p);
      check.optionalString(area, "description", p);
      const extent = check.optionalString(area, "extent", p);
      const type = check.optionalString(area, "extent_type", p);
      check.optionalString(area, "uri", p);
      if (type?.toLowerCase() === "gss" && !(extent && GSS_CODE.test(extent.trim())))
        check.issue(
          join(p, "extent"),
          `must be a GSS code like "E10000020" when extent_type is "gss" (got ${show(extent)})`,
        );
    }
    for (const [sch, p] of check.objects(svc, "schedules", "")) {
      check.id(sch, p, seen.schedule, "schedule id");
      check.optionalString(sch, "freq", p);
      check.optionalString(sch, "description", p);
      const byday = check.optionalString(sch, "byday", p);
      if (byday) {
        const bad = byday
          .split(",")
          .map((t) => t.trim())
          .filter((t) => !BYDAY_TOKEN.test(t));
        if (bad.length)
          check.issue(
            join(p, "byday"),
            `has unknown day ${show(bad[0])} (use MO,TU,WE,TH,FR,SA,SU)`,
          );
      }
      // closes_at before opens_at is allowed: evening services run past midnight.
      check.time(sch, "opens_at", p);
      check.time(sch, "closes_at", p);
      check.date(sch, "valid_from", p);
      check.date(sch, "valid_to", p);
    }
    for (const [cost, p] of check.objects(svc, "cost_options", "")) {
      check.id(cost, p, seen.cost_option, "cost_option id");
      check.optionalString(cost, "option", p);
      check.optionalString(cost, "amount_description", p);
      check.number(cost, "amount", p, 0, 99_999_999.99);
      check.matching(
        cost,
        "currency",
        p,
        (s) => /^[A-Za-z]{3}$/.test(s),
        "an ISO 4217 code like GBP",
      );
    }
    for (const [contact, p] of check.objects(svc, "contacts", "")) {
      check.id(contact, p, seen.contact, "contact id");
      for (const k of ["name", "title", "department"]) check.optionalString(contact, k, p);
      check.email(contact, "email", p);
      for (const [phone, pp] of check.objects(contact, "phones", p)) checkPhone(check, phone, pp);
      const ext = check.object(contact, "wayfinder", p);
      if (ext) check.boolean(ext, "professional_only", join(p, "wayfinder"));
    }
    for (const [phone, p] of check.objects(svc, "phones", "")) checkPhone(check, phone, p);
    for (const [lang, p] of check.objects(svc, "languages", "")) {
      check.id(lang, p, seen.language, "language id");
      check.optionalString(lang, "name", p);
      check.optionalString(lang, "code", p);
    }
    for (const [attr, p] of check.objects(svc, "attributes", "")) {
      check.id(attr, p);
      const term = check.object(attr, "taxonomy_term", p);
      if (term) {
        const tp = join(p, "taxonomy_term");
        check.id(term, tp);
        for (const k of ["code", "description", "taxonomy", "vocabulary"])
          check.optionalString(term, k, tp);
        const name =
          check.optionalString(term, "name", tp) || check.optionalString(term, "term", tp);
        if (!name) check.issue(join(tp, "name"), "is required (or give term)");
      } else check.optionalString(attr, "taxonomy_term_id", p);
    }

    const ext = check.object(svc, "wayfinder", "");
    if (ext) {
      check.codes(ext, "needs", "wayfinder", NEEDS, "need", "see NEEDS in schema/vocabulary.ts");
      check.codes(
        ext,
        "referral_routes",
        "wayfinder",
        ROUTES,
        "referral route",
        `one of ${REFERRAL_ROUTE_CODES.join(", ")}`,
      );
      check.codes(
        ext,
        "delivery_modes",
        "wayfinder",
        MODES,
        "delivery mode",
        `one of ${DELIVERY_MODES.join(", ")}`,
      );
      const cap = check.object(ext, "capacity", "wayfinder");
      if (cap) {
        check.boolean(cap, "accepting_referrals", "wayfinder.capacity");
        check.number(cap, "typical_wait_weeks", "wayfinder.capacity", 0, 520, true);
        check.dateTime(cap, "updated_at", "wayfinder.capacity");
      }
      check.date(ext, "contract_end_date", "wayfinder");
      check.optionalString(ext, "funder", "wayfinder");
      check.optionalString(ext, "referral_notes", "wayfinder");
    }
  });

  coDeliveries.forEach((cd, i) => {
    const check = new RecordChecker(out, labelOf("co_deliveries", i, cd));
    if (!isObject(cd)) {
      check.issue("", `must be an object (got ${show(cd)})`);
      return;
    }
    check.id(cd, "", seen.co_delivery, "co_delivery id");
    const ref = check.requiredString(cd, "service_ref", "");
    if (ref && !SERVICE_REF.test(ref))
      check.issue(
        "service_ref",
        `must look like "council:<service id>" (partner one of ${PARTNERS.join(", ")}; got ${show(ref)})`,
      );
    const orgId = check.requiredString(cd, "organization_id", "");
    if (orgId) orgRefs.push({ check, path: "organization_id", id: orgId });
    check.requiredString(cd, "role", "");
    check.number(cd, "staff_share", "", 0, 1);
    check.email(cd, "contact_email", "");
  });

  for (const ref of orgRefs) {
    if (!orgIds.has(ref.id))
      ref.check.issue(
        ref.path,
        `organization ${show(ref.id)} is not in the file (add it to organizations or nest it)`,
      );
  }
  for (const ref of locationRefs) {
    if (!locationIds.has(ref.id))
      ref.check.issue(
        ref.path,
        `location ${show(ref.id)} is not in the file (add it to locations or nest it)`,
      );
  }

  if (out.issues.length > 0) throw new HsdsValidationError(out.issues, out.omitted);
  return {
    organizations: topOrgs as HsdsOrganization[],
    services: services as HsdsService[],
    co_deliveries: coDeliveries as WayfinderCoDelivery[],
    ...(topLocations.length ? { locations: topLocations as HsdsBundle["locations"] } : {}),
  };
}

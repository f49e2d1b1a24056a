// Checks an import file before anything touches the database, and reports every problem at once
// (up to a cap) so a partner can fix a feed in one pass. Field checks are the official HSDS 3.0 JSON
// Schema plus Wayfinder's extension schema (schema.ts); this file adds only what a schema cannot
// say: ids unique per table, references that resolve, and values the database must be able to hold.
import type {
  HsdsBundle,
  HsdsLocation,
  HsdsOrganization,
  HsdsService,
  HsdsTaxonomy,
  HsdsTaxonomyTerm,
  WayfinderCoDelivery,
} from "./format.ts";
import { checkSchema, type SchemaName } from "./schema.ts";
import { HsdsShapeError, isObject, short, unwrapFeed } from "./shapes.ts";

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
  /** Records with at least one problem. */
  readonly refusedRecords: number;

  constructor(issues: HsdsIssue[], omitted = 0, refusedRecords?: number) {
    const total = issues.length + omitted;
    const lines = issues.map((i) => `  - ${formatIssue(i)}`);
    if (omitted > 0) lines.push(`  … and ${omitted} more`);
    super(`Invalid HSDS file: ${total} problem${total === 1 ? "" : "s"}\n${lines.join("\n")}`);
    this.name = "HsdsValidationError";
    this.issues = issues;
    this.omitted = omitted;
    this.refusedRecords = refusedRecords ?? new Set(issues.map((i) => i.record)).size;
  }
}

export function formatIssue(issue: HsdsIssue): string {
  return issue.path
    ? `${issue.record}: ${issue.path}: ${issue.problem}`
    : `${issue.record}: ${issue.problem}`;
}

export const GSS_CODE = /^[EWSN]\d{8}$/;
/** What Wayfinder accepts as an email address in partner updates. */
export const EMAIL = /^[^\s@"<>()[\],;:]+@[^\s@"<>()[\],;:]+\.[A-Za-z]{2,}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// HSDS asks for a zone suffix on times ("09:00Z", "09:00-05:00"); the time column ignores it.
const TIME = /^(([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?|24:00(:00)?)(Z|[+-]\d{2}(:?\d{2})?)?$/;
const BYDAY_TOKEN = /^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$/;

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

function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObject) : []);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);

class Collector {
  readonly issues: HsdsIssue[] = [];
  omitted = 0;
  readonly records = new Set<string>();

  add(record: string, path: string, problem: string) {
    this.records.add(record);
    if (this.issues.length < MAX_ISSUES) this.issues.push({ record, path, problem });
    else this.omitted++;
  }
}

/** First place each id was seen, per table: each becomes a primary key. */
class IdTable {
  private readonly seen = new Map<string, string>();
  constructor(
    private readonly out: Collector,
    private readonly kind: string,
  ) {}

  claim(id: unknown, record: string, path: string) {
    if (typeof id !== "string" || id === "") return;
    const first = this.seen.get(id);
    if (first === undefined) this.seen.set(id, `${record}${path ? ` ${path}` : ""}`);
    else
      this.out.add(
        record,
        join(path, "id"),
        `${this.kind} id ${short(id)} is also used by ${first}`,
      );
  }
}

// The official spelling is "temporarily closed"; Wayfinder files before HSDS 3.0 wrote it with an
// underscore, which is read the same.
const LEGACY_STATUS: Record<string, string> = { temporarily_closed: "temporarily closed" };

/**
 * Validates an import file (any accepted shape, see shapes.ts) and returns it as a bundle. Throws
 * HsdsValidationError listing every problem (up to MAX_ISSUES) with record and field.
 */
export function validateHsds(input: unknown): HsdsBundle {
  const out = new Collector();
  let feed;
  try {
    feed = unwrapFeed(input);
  } catch (err) {
    if (err instanceof HsdsShapeError) {
      out.add("(file)", "", err.message);
      throw new HsdsValidationError(out.issues, out.omitted, 0);
    }
    throw err;
  }

  const schema = (kind: SchemaName, record: unknown, label: string, prefix = "") => {
    if (!isObject(record)) {
      out.add(label, "", `must be an object (got ${short(record)})`);
      return false;
    }
    for (const p of checkSchema(kind, record))
      out.add(label, prefix && p.path ? `${prefix}.${p.path}` : prefix || p.path, p.problem);
    return true;
  };

  const ids = {
    service: new IdTable(out, "service"),
    organization: new IdTable(out, "organization"),
    location: new IdTable(out, "location"),
    service_at_location: new IdTable(out, "service_at_location"),
    service_area: new IdTable(out, "service_area"),
    schedule: new IdTable(out, "schedule"),
    cost_option: new IdTable(out, "cost_option"),
    contact: new IdTable(out, "contact"),
    language: new IdTable(out, "language"),
    taxonomy: new IdTable(out, "taxonomy"),
    taxonomy_term: new IdTable(out, "taxonomy term"),
    co_delivery: new IdTable(out, "co_delivery"),
  };
  const orgIds = new Set<string>();
  const locationIds = new Set<string>();
  // References are checked once every record has been seen, so order in the file does not matter.
  const orgRefs: { record: string; path: string; id: string }[] = [];
  const locationRefs: { record: string; path: string; id: string }[] = [];

  // A location's organization_id is optional context; one that is not in the file is not linked
  // (the report counts it) rather than refusing the location.
  const location = (loc: Obj) => {
    if (typeof loc.id === "string") locationIds.add(loc.id);
  };

  for (const { record, label } of feed.organizations) {
    if (!schema("organization", record, label)) continue;
    const org = record as Obj;
    ids.organization.claim(org.id, label, "");
    if (typeof org.id === "string") orgIds.add(org.id);
  }
  for (const { record, label } of feed.locations) {
    if (!schema("location", record, label)) continue;
    ids.location.claim((record as Obj).id, label, "");
    location(record as Obj);
  }
  for (const { record, label } of feed.taxonomies) {
    if (schema("taxonomy", record, label)) ids.taxonomy.claim((record as Obj).id, label, "");
  }
  for (const { record, label } of feed.taxonomy_terms) {
    if (schema("taxonomy_term", record, label))
      ids.taxonomy_term.claim((record as Obj).id, label, "");
  }

  for (const item of feed.services) {
    const { label } = item;
    if (isObject(item.record) && typeof item.record.status === "string") {
      const legacy = LEGACY_STATUS[item.record.status];
      if (legacy) item.record = { ...item.record, status: legacy };
    }
    if (!schema("service", item.record, label)) continue;
    const svc = item.record as Obj;
    ids.service.claim(svc.id, label, "");

    const min = svc.minimum_age;
    const max = svc.maximum_age;
    for (const [k, v] of [
      ["minimum_age", min],
      ["maximum_age", max],
    ] as const)
      if (typeof v === "number" && (!Number.isInteger(v) || v < 0 || v > 150))
        out.add(label, k, `must be a whole number of years 0–150 to be searchable (got ${v})`);
    if (typeof min === "number" && typeof max === "number" && min > max)
      out.add(label, "minimum_age", `must not be greater than maximum_age (${min} > ${max})`);

    const org = isObject(svc.organization) ? svc.organization : undefined;
    const orgId = str(svc.organization_id);
    if (org) {
      if (typeof org.id === "string") orgIds.add(org.id);
      if (orgId && org.id !== orgId)
        out.add(
          label,
          "organization_id",
          `${short(orgId)} differs from organization.id ${short(org.id)}`,
        );
    } else if (orgId) orgRefs.push({ record: label, path: "organization_id", id: orgId });
    else
      out.add(
        label,
        "organization_id",
        "is required by Wayfinder (every service belongs to an organization): give organization_id or nest an organization",
      );

    arr(svc.service_at_locations).forEach((sal, i) => {
      const p = `service_at_locations[${i}]`;
      ids.service_at_location.claim(sal.id, label, p);
      if (isObject(sal.location)) location(sal.location);
      else {
        const locId = str(sal.location_id);
        if (locId) locationRefs.push({ record: label, path: `${p}.location_id`, id: locId });
        else out.add(label, `${p}.location`, "is required (or give location_id)");
      }
    });
    arr(svc.service_areas).forEach((area, i) => {
      const p = `service_areas[${i}]`;
      ids.service_area.claim(area.id, label, p);
      const type = area.extent_type;
      const extent = area.extent;
      if (
        typeof type === "string" &&
        type.toLowerCase() === "gss" &&
        !(typeof extent === "string" && GSS_CODE.test(extent.trim()))
      )
        out.add(
          label,
          `${p}.extent`,
          `must be a GSS code like "E10000020" when extent_type is "gss" (got ${short(extent)})`,
        );
    });
    arr(svc.schedules).forEach((sch, i) => {
      const p = `schedules[${i}]`;
      ids.schedule.claim(sch.id, label, p);
      if (typeof sch.byday === "string" && sch.byday.trim()) {
        const bad = sch.byday
          .split(",")
          .map((t) => t.trim())
          .filter((t) => !BYDAY_TOKEN.test(t));
        if (bad.length)
          out.add(
            label,
            `${p}.byday`,
            `has unknown day ${short(bad[0])} (use MO,TU,WE,TH,FR,SA,SU)`,
          );
      }
      // closes_at before opens_at is allowed: evening services run past midnight.
      for (const k of ["opens_at", "closes_at"])
        if (typeof sch[k] === "string" && sch[k] !== "" && !TIME.test(sch[k] as string))
          out.add(label, `${p}.${k}`, `must be a time HH:MM or HH:MM:SS (got ${short(sch[k])})`);
      for (const k of ["valid_from", "valid_to"])
        if (typeof sch[k] === "string" && sch[k] !== "" && !isIsoDate(sch[k] as string))
          out.add(label, `${p}.${k}`, `must be a date YYYY-MM-DD (got ${short(sch[k])})`);
    });
    arr(svc.cost_options).forEach((cost, i) => {
      const p = `cost_options[${i}]`;
      ids.cost_option.claim(cost.id, label, p);
      if (typeof cost.amount === "number" && (cost.amount < 0 || cost.amount >= 1e8))
        out.add(label, `${p}.amount`, `must be between 0 and 99999999.99 (got ${cost.amount})`);
      if (typeof cost.currency === "string" && !/^[A-Za-z]{3}$/.test(cost.currency))
        out.add(
          label,
          `${p}.currency`,
          `must be an ISO 4217 code like GBP (got ${short(cost.currency)})`,
        );
    });
    arr(svc.contacts).forEach((c, i) => ids.contact.claim(c.id, label, `contacts[${i}]`));
    arr(svc.languages).forEach((l, i) => ids.language.claim(l.id, label, `languages[${i}]`));
    const ext = isObject(svc.wayfinder) ? svc.wayfinder : undefined;
    if (ext && typeof ext.contract_end_date === "string" && !isIsoDate(ext.contract_end_date))
      out.add(
        label,
        "wayfinder.contract_end_date",
        `must be a real date YYYY-MM-DD (got ${short(ext.contract_end_date)})`,
      );
  }

  for (const { record, label } of feed.co_deliveries) {
    if (!schema("co_delivery", record, label)) continue;
    const cd = record as Obj;
    ids.co_delivery.claim(cd.id, label, "");
    const orgId = str(cd.organization_id);
    if (orgId) orgRefs.push({ record: label, path: "organization_id", id: orgId });
  }

  for (const ref of orgRefs)
    if (!orgIds.has(ref.id))
      out.add(
        ref.record,
        ref.path,
        `organization ${short(ref.id)} is not in the file (add it to organizations or nest it)`,
      );
  for (const ref of locationRefs)
    if (!locationIds.has(ref.id))
      out.add(
        ref.record,
        ref.path,
        `location ${short(ref.id)} is not in the file (add it to locations or nest it)`,
      );

  if (out.issues.length > 0)
    throw new HsdsValidationError(out.issues, out.omitted, out.records.size);
  const records = <T>(list: { record: unknown }[]) => list.map((x) => x.record as T);
  return {
    kind: feed.kind,
    organizations: records<HsdsOrganization>(feed.organizations),
    services: records<HsdsService>(feed.services),
    co_deliveries: records<WayfinderCoDelivery>(feed.co_deliveries),
    locations: records<HsdsLocation>(feed.locations),
    taxonomies: records<HsdsTaxonomy>(feed.taxonomies),
    taxonomy_terms: records<HsdsTaxonomyTerm>(feed.taxonomy_terms),
  };
}

// Writes a validated HSDS bundle into a partner database in one transaction: every row lands or
// none does. Rows are bulk-loaded with COPY (see importHsds).
import { readFile } from "node:fs/promises";
import { isPartnerId, type PartnerId } from "../../../schema/vocabulary.ts";
import type { PartnerDbConfig } from "../../../platform/config.ts";
import { copyRow, openDb, type Db, type Transaction } from "../db/db.ts";
import type {
  HsdsBundle,
  HsdsContact,
  HsdsLocation,
  HsdsOrganization,
  HsdsPhone,
  HsdsService,
  HsdsTaxonomy,
  HsdsTaxonomyTerm,
} from "./format.ts";
import { canonicalTaxonomy, needsForTerm } from "./mapping.ts";
import { readReport, type ImportCounts, type ImportReport, type UnmappedTerm } from "./report.ts";
import { isTabularPath, readTabularDir, TabularError } from "./tabular.ts";
import { HsdsValidationError, gssCodeOf, validateHsds } from "./validate.ts";

export interface ImportOptions {
  /** Tombstone this database's services that are not in the bundle. */
  replace?: boolean;
  /** Do everything in a transaction, report, and roll it back. */
  dryRun?: boolean;
  /** Let --replace remove more than MAX_REPLACE_SHARE of the partner's live services. */
  force?: boolean;
  /** Called as rows are written: done and total count rows of every table. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Let locations the bundle marks `wayfinder.confidential: false` become public although they are
   * confidential now (`npm run import -- --allow-unhide`). Without it such an import is refused.
   */
  allowUnhide?: boolean;
}

/** A location the import would make public: it is confidential now and the bundle says false. */
export interface UnhiddenLocation {
  id: string;
  name: string | null;
  postalCode: string | null;
}

/**
 * The bundle would make confidential locations public and the import was not allowed to: nothing
 * was written. A missing `wayfinder.confidential` never unhides (it keeps the current value).
 */
export class UnhideRefusedError extends Error {
  constructor(readonly locations: UnhiddenLocation[]) {
    super(
      `this file would make ${locations.length} confidential location${locations.length === 1 ? "" : "s"} public: ` +
        locations.map((l) => `${l.id}${l.name ? ` (${l.name})` : ""}`).join(", ") +
        ". Confidentiality is only lifted deliberately: a partner admin can use the set<Partner>LocationConfidential mutation, or re-run the import with --allow-unhide.",
    );
    this.name = "UnhideRefusedError";
  }
}

export interface ImportResult extends ImportCounts {
  report: ImportReport;
  /** With replace: the services tombstoned (or, with dryRun, that would be), id and name. */
  removed: { id: string; name: string }[];
  dryRun: boolean;
  /**
   * With replace and dryRun: the real run would be refused (it removes more than
   * MAX_REPLACE_SHARE) unless forced. A dry run is never refused for that: it shows what would go.
   */
  forceNeeded?: boolean;
}

/** --replace stops before removing more than this share of a partner's live services. */
export const MAX_REPLACE_SHARE = 0.2;

/** --replace would remove too much: nothing was written. */
export class ReplaceRefusedError extends Error {
  constructor(
    readonly removing: { id: string; name: string }[],
    readonly live: number,
  ) {
    super(
      `--replace would remove ${removing.length} of this partner's ${live} live services ` +
        `(more than ${MAX_REPLACE_SHARE * 100}%); check with --dry-run, then add --force if that is intended`,
    );
    this.name = "ReplaceRefusedError";
  }
}

class DryRunRollback extends Error {
  constructor(readonly result: ImportResult) {
    super("dry run");
  }
}

type Row = Record<string, unknown>;

/**
 * Upserts everything in the bundle. Services that already exist get version + 1, a new change_seq
 * and are undeleted; their child rows (locations links, areas, schedules, costs, contacts,
 * languages, taxonomy) are replaced by the bundle's. Expects a bundle that passed validateHsds.
 *
 * Rows go in with COPY, the bulk-load path of PostgreSQL and PGlite: no per-batch round trips, no
 * JSON decoding in the database. Into a database that has none of the rows yet (a new partner,
 * npm start's first run) every row is copied straight into its table (loadIntoEmpty). Otherwise
 * organizations, locations, services, taxonomies and co-deliveries are upserts, so they are copied
 * into temporary staging tables (gone at commit) and merged by one INSERT … ON CONFLICT each, and
 * child rows are replaced: their old rows are deleted in one statement per table and the new ones
 * copied straight in (mergeInto).
 */
export async function importHsds(
  db: Db,
  bundle: HsdsBundle,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const rows = toRows(bundle);
  const r = rows.lists;
  const total = STAGES.reduce((n, st) => n + r[st.list].length, 0);
  let done = 0;
  const merged = (list: keyof Lists, n = r[list].length) => {
    done += n;
    opts.onProgress?.(done, total);
  };
  try {
    return await db.transaction(async (tx) => {
      // One import at a time per database (schema): a second waits here for the first to commit,
      // so the child tables' delete-then-insert never meets another import's uncommitted rows.
      await tx.query(
        `SELECT pg_advisory_xact_lock(hashtext('wayfinder.import:' || current_schema()))`,
      );
      const serviceIds = r.services.map((s) => s.id as string);
      // Replace safety first, before anything is written: a truncated or wrong feed must not
      // quietly tombstone a partner's directory.
      let removing: { id: string; name: string }[] = [];
      let forceNeeded = false;
      if (opts.replace) {
        removing = await tx.query<{ id: string; name: string }>(MISSING_LIVE, [serviceIds]);
        const [{ live }] = await tx.query<{ live: number }>(
          `SELECT count(*)::int AS live FROM service WHERE deleted_at IS NULL`,
        );
        forceNeeded =
          !opts.force && removing.length > 0 && removing.length > live * MAX_REPLACE_SHARE;
        // A dry run writes nothing, so it goes on and shows what would be removed.
        if (forceNeeded && !opts.dryRun) throw new ReplaceRefusedError(removing, live);
      }
      // Confidentiality is sticky: an explicit false on a location that is confidential now is
      // refused (rolling back everything) unless the import may unhide, and audited if so.
      const unhiding = r.locations
        .filter((l) => l.confidential === false)
        .map((l) => l.id as string);
      const unhidden = unhiding.length
        ? await tx.query<{ id: string; name: string | null; postal_code: string | null }>(
            `SELECT id, name, postal_code FROM location WHERE confidential AND id = ANY($1::text[]) ORDER BY id`,
            [unhiding],
          )
        : [];
      if (unhidden.length && !opts.allowUnhide)
        throw new UnhideRefusedError(
          unhidden.map((l) => ({ id: l.id, name: l.name, postalCode: l.postal_code })),
        );

      // An attribute may name a term by id only; it is linked when the term is already known
      // and skipped otherwise (the file cannot supply the term's required name).
      const linking = r.serviceTaxonomy.length;
      const fileTerms = new Set(r.taxonomyTerms.map((t) => t.id as string));
      const elsewhere = [
        ...new Set(
          r.serviceTaxonomy
            .map((l) => l.taxonomy_term_id as string)
            .filter((id) => !fileTerms.has(id)),
        ),
      ];
      const known = new Set(
        elsewhere.length
          ? (
              await tx.query<{ id: string }>(
                `SELECT id FROM taxonomy_term WHERE id = ANY($1::text[])`,
                [elsewhere],
              )
            ).map((t) => t.id)
          : [],
      );
      const linked = (id: unknown) => fileTerms.has(id as string) || known.has(id as string);
      r.serviceTaxonomy = r.serviceTaxonomy.filter((l) => linked(l.taxonomy_term_id));
      const progress = (list: keyof Lists) =>
        merged(list, list === "serviceTaxonomy" ? linking : r[list].length);

      const empty = await claimIfEmpty(tx);
      if (empty) await loadIntoEmpty(tx, r, progress);
      else await mergeInto(tx, r, progress, unhidden);

      let tombstoned = 0;
      // An empty database has nothing to tombstone.
      if (opts.replace && !empty) tombstoned = (await tx.query(TOMBSTONE_MISSING)).length;
      const written: ImportCounts = {
        organizations: r.organizations.length,
        services: r.services.length,
        locations: r.locations.length,
        coDeliveries: r.coDeliveries.length,
        taxonomies: r.taxonomies.length,
        taxonomyTerms: r.taxonomyTerms.length,
        tombstoned,
      };
      const result: ImportResult = {
        ...written,
        report: { ...rows.report, written, refused: 0 },
        removed: removing,
        dryRun: !!opts.dryRun,
        ...(opts.dryRun && forceNeeded ? { forceNeeded: true } : {}),
      };
      if (opts.dryRun) throw new DryRunRollback(result);
      return result;
    });
  } catch (err) {
    if (err instanceof DryRunRollback) return err.result;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Mapping HSDS objects to table rows

interface Lists {
  organizations: Row[];
  taxonomies: Row[];
  locations: Row[];
  services: Row[];
  serviceAtLocations: Row[];
  serviceAreas: Row[];
  schedules: Row[];
  costOptions: Row[];
  contacts: Row[];
  languages: Row[];
  taxonomyTerms: Row[];
  serviceTaxonomy: Row[];
  coDeliveries: Row[];
}

interface Rows {
  lists: Lists;
  report: Omit<ImportReport, "written" | "refused">;
}

const CHARITY_SCHEMES = new Set(["GB-CHC", "GB-SC", "GB-NIC"]);

const text = (v: string | null | undefined) => (v === undefined || v === null ? null : v);
const unique = (v: string[] | null | undefined) => [...new Set(v ?? [])];

function toRows(bundle: HsdsBundle): Rows {
  const notStored = new Map<string, number>();
  const skip = (why: string) => notStored.set(why, (notStored.get(why) ?? 0) + 1);

  // Listed records win over nested copies; the first nested copy wins over later ones.
  const organizations = new Map<string, Row>();
  for (const org of bundle.organizations) organizations.set(org.id, organizationRow(org));
  const locations = new Map<string, Row>();
  // A location listed twice is confidential if any copy says so: a copy without the flag (or with
  // false) must not unhide what another copy hides.
  const confidential = new Map<string, boolean | null>();
  const addLocation = (loc: HsdsLocation) => {
    const flag = loc.wayfinder?.confidential ?? null;
    const seen = confidential.get(loc.id) ?? null;
    confidential.set(loc.id, seen === true || flag === true ? true : (flag ?? seen));
    if (locations.has(loc.id)) return;
    const row = locationRow(loc);
    if (row.latitude === null && typeof loc.latitude === "number")
      skip("location latitude/longitude outside WGS84 (-90..90, -180..180): position not stored");
    if ((loc.addresses?.length ?? 0) > 1)
      skip("location addresses after the first (one is stored)");
    locations.set(loc.id, row);
  };
  for (const loc of bundle.locations ?? []) addLocation(loc);

  const r: Lists = {
    organizations: [],
    taxonomies: [],
    locations: [],
    services: [],
    serviceAtLocations: [],
    serviceAreas: [],
    schedules: [],
    costOptions: [],
    contacts: [],
    languages: [],
    taxonomyTerms: [],
    serviceTaxonomy: [],
    coDeliveries: [],
  };

  // Vocabularies: listed taxonomies, then any given inside a term (taxonomy_detail).
  const taxonomies = new Map<string, Row>();
  const addTaxonomy = (t: HsdsTaxonomy) => {
    if (!taxonomies.has(t.id))
      taxonomies.set(t.id, {
        id: t.id,
        name: t.name,
        description: text(t.description),
        uri: text(t.uri),
        version: text(t.version),
      });
  };
  for (const t of bundle.taxonomies ?? []) addTaxonomy(t);
  const taxonomyName = (term: HsdsTaxonomyTerm) =>
    text(term.taxonomy) ??
    text(term.vocabulary) ??
    text(term.taxonomy_detail?.name) ??
    (term.taxonomy_id
      ? (taxonomies.get(term.taxonomy_id)?.name as string | undefined)
      : undefined) ??
    null;
  const terms = new Map<string, Row>();
  const fileTerms = new Map<string, HsdsTaxonomyTerm>();
  const addTerm = (term: HsdsTaxonomyTerm) => {
    if (terms.has(term.id)) return;
    if (term.taxonomy_detail) addTaxonomy(term.taxonomy_detail);
    terms.set(term.id, {
      id: term.id,
      code: text(term.code),
      name: term.name || term.term,
      vocabulary: canonicalTaxonomy(taxonomyName(term)) ?? null,
      description: text(term.description),
      parent_id: text(term.parent_id),
      taxonomy_id: text(term.taxonomy_id) ?? text(term.taxonomy_detail?.id),
      term_uri: text(term.term_uri),
    });
  };
  for (const term of bundle.taxonomy_terms ?? []) {
    fileTerms.set(term.id, term);
    addTerm(term);
  }

  const unmapped = new Map<string, UnmappedTerm>();
  let servicesWithoutNeeds = 0;
  let servicesAssumedProfessionalReferral = 0;

  for (const svc of bundle.services) {
    const sid = svc.id;
    if (svc.organization && !organizations.has(svc.organization.id))
      organizations.set(svc.organization.id, organizationRow(svc.organization));

    const linked = new Set<string>();
    const mappedNeeds: string[] = [];
    for (const attr of svc.attributes ?? []) {
      const term =
        attr.taxonomy_term ??
        (attr.taxonomy_term_id ? fileTerms.get(attr.taxonomy_term_id) : undefined);
      const termId = term?.id ?? attr.taxonomy_term_id;
      if (!termId || linked.has(termId)) continue;
      linked.add(termId);
      if (term) {
        addTerm(term);
        const needs = needsForTerm(term, taxonomyName(term) ?? undefined);
        if (needs) mappedNeeds.push(...needs);
        else {
          const tax = canonicalTaxonomy(taxonomyName(term)) ?? "(no taxonomy)";
          const key = `${tax}|${term.id}`;
          const u = unmapped.get(key) ?? {
            taxonomy: tax,
            id: term.id,
            name: String(term.name ?? term.term ?? ""),
            services: 0,
          };
          u.services++;
          unmapped.set(key, u);
        }
      } else
        skip(
          "attributes naming a taxonomy_term_id the file does not define: linked only if already in the database",
        );
      r.serviceTaxonomy.push({ service_id: sid, taxonomy_term_id: termId });
    }
    const row = serviceRow(svc, mappedNeeds);
    if ((row.needs as string[]).length === 0) servicesWithoutNeeds++;
    if (!Array.isArray(svc.wayfinder?.referral_routes)) servicesAssumedProfessionalReferral++;
    r.services.push(row);

    for (const sal of svc.service_at_locations ?? []) {
      const loc = sal.location;
      if (loc) addLocation(loc);
      r.serviceAtLocations.push({
        id: sal.id,
        service_id: sid,
        location_id: loc?.id ?? sal.location_id,
      });
    }
    for (const area of svc.service_areas ?? []) {
      const code = gssCodeOf(area);
      // An area we cannot tie to a local authority (free-text or GeoJSON extent) is not stored.
      if (!code) {
        skip("service_areas not naming a local authority by GSS code (free text, GeoJSON)");
        continue;
      }
      r.serviceAreas.push({
        id: area.id,
        service_id: sid,
        name: text(area.name) ?? text(area.description),
        local_authority_code: code,
      });
    }
    for (const s of svc.schedules ?? []) {
      r.schedules.push({
        id: s.id,
        service_id: sid,
        freq: text(s.freq),
        byday: s.byday
          ? s.byday
              .split(",")
              .map((t) => t.trim())
              .join(",")
          : null,
        opens_at: text(s.opens_at),
        closes_at: text(s.closes_at),
        valid_from: text(s.valid_from),
        valid_to: text(s.valid_to),
        description: text(s.description),
      });
    }
    for (const c of svc.cost_options ?? []) {
      r.costOptions.push({
        id: c.id,
        service_id: sid,
        option: text(c.option),
        amount: c.amount ?? null,
        currency: c.currency ? c.currency.toUpperCase() : "GBP",
        amount_description: text(c.amount_description),
      });
    }
    r.contacts.push(...contactRows(svc));
    for (const lang of svc.languages ?? []) {
      const name = lang.name || lang.code;
      // HSDS allows a language with only an id (the ORUK example has one); it says nothing.
      if (!name) {
        skip("languages with neither name nor code");
        continue;
      }
      r.languages.push({ id: lang.id, service_id: sid, name, code: text(lang.code) });
    }
  }

  for (const cd of bundle.co_deliveries) {
    r.coDeliveries.push({
      id: cd.id,
      service_ref: cd.service_ref,
      organization_id: cd.organization_id,
      role: cd.role,
      staff_share: cd.staff_share ?? null,
      contact_email: text(cd.contact_email),
    });
  }
  for (const loc of locations.values())
    if (loc.organization_id && !organizations.has(loc.organization_id as string))
      skip("location organization_id not in the file: linked only if already in the database");
  // Derived phone-row ids could meet a listed contact id; one statement may not write a row twice.
  r.contacts = [...new Map(r.contacts.map((c) => [c.id, c])).values()];
  r.organizations = [...organizations.values()];
  r.locations = [...locations.values()].map((l) => ({
    ...l,
    confidential: confidential.get(l.id as string) ?? null,
  }));
  r.taxonomies = [...taxonomies.values()];
  r.taxonomyTerms = [...terms.values()];
  return {
    lists: r,
    report: {
      ...readReport(bundle),
      notStored,
      unmappedTerms: [...unmapped.values()].sort((a, b) => b.services - a.services),
      servicesWithoutNeeds,
      servicesAssumedProfessionalReferral,
    },
  };
}

function organizationRow(org: HsdsOrganization): Row {
  const charity =
    org.wayfinder?.charity_number ??
    org.organization_identifiers?.find(
      (i) => i.identifier_scheme && CHARITY_SCHEMES.has(i.identifier_scheme),
    )?.identifier;
  return {
    id: org.id,
    name: org.name,
    description: org.description ?? "",
    email: text(org.email),
    url: text(org.website) ?? text(org.url),
    legal_status: text(org.legal_status),
    charity_number: text(charity),
  };
}

const inRange = (lat: unknown, lng: unknown) =>
  typeof lat === "number" && typeof lng === "number" && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;

function locationRow(loc: HsdsLocation): Row {
  const addresses = loc.addresses ?? [];
  const addr = addresses.find((a) => a.address_type === "physical") ?? addresses[0];
  const street = [addr?.address_1, addr?.address_2].filter(Boolean).join(", ");
  return {
    id: loc.id,
    organization_id: text(loc.organization_id),
    name: text(loc.name),
    description: text(loc.description),
    location_type: loc.location_type ?? "physical",
    // HSDS does not bound coordinates (its own example has latitude 100); a position off the
    // globe would corrupt distances, so it is not stored and the report says so.
    latitude: inRange(loc.latitude, loc.longitude) ? loc.latitude : null,
    longitude: inRange(loc.latitude, loc.longitude) ? loc.longitude : null,
    // null = the file does not say: a new location starts public, an existing one keeps its flag.
    confidential: loc.wayfinder?.confidential ?? null,
    address_1: street || null,
    city: text(addr?.city),
    region: text(addr?.region) ?? text(addr?.state_province),
    postal_code: text(addr?.postal_code),
    country: addr?.country || "GB",
  };
}

function serviceRow(svc: HsdsService, mappedNeeds: string[]): Row {
  const ext = svc.wayfinder ?? {};
  const cap = ext.capacity ?? {};
  return {
    id: svc.id,
    organization_id: svc.organization?.id ?? svc.organization_id,
    name: svc.name,
    alternate_name: text(svc.alternate_name),
    description: svc.description ?? "",
    url: text(svc.url),
    email: text(svc.email),
    // The database keeps the HSDS 2 spelling the GraphQL enum grew from.
    status: svc.status === "temporarily closed" ? "temporarily_closed" : svc.status,
    application_process: text(svc.application_process),
    fees_description: text(svc.fees_description) ?? text(svc.fees),
    eligibility_description: text(svc.eligibility_description),
    minimum_age: svc.minimum_age ?? null,
    maximum_age: svc.maximum_age ?? null,
    alert: text(svc.alert),
    // Needs given outright (a Wayfinder file) are authoritative; a plain feed's come from its
    // taxonomy terms through schema/taxonomy-needs.csv.
    needs: unique(Array.isArray(ext.needs) ? ext.needs : mappedNeeds),
    // A plain HSDS/ORUK feed has no referral routes (HSDS only has application_process text).
    // Routing offers a service only through a route the referrer can use, so a service with none
    // would never be routed: "any professional can refer" is assumed, the narrowest route that
    // keeps it routable for the professionals Wayfinder serves (a family referring itself still
    // gets a REFERRAL_ROUTE gap). The report counts these; wayfinder.referral_routes overrides.
    referral_routes: Array.isArray(ext.referral_routes)
      ? unique(ext.referral_routes)
      : ["PROFESSIONAL"],
    delivery_modes: unique(ext.delivery_modes),
    accepting_referrals: cap.accepting_referrals ?? true,
    typical_wait_weeks: cap.typical_wait_weeks ?? null,
    capacity_updated_at: text(cap.updated_at),
    contract_end_date: text(ext.contract_end_date),
    funder: text(ext.funder),
    referral_notes: text(ext.referral_notes),
    referral_response_hours: ext.referral_response_hours ?? null,
  };
}

function phoneNumber(p: HsdsPhone): string {
  // Some feeds (the HSDS examples among them) wrap numbers in literal quotes.
  const n = p.number.trim().replace(/^"(.*)"$/, "$1");
  return p.extension === undefined || p.extension === null || p.extension === ""
    ? n
    : `${n} ext. ${p.extension}`;
}

/**
 * The contact table holds one phone per row. A contact's first phone goes on its own row; further
 * phones, and the service's own phones, become extra rows. Their ids are derived from the contact
 * or service id, because HSDS feeds reuse one phone id wherever the same number appears.
 */
function contactRows(svc: HsdsService): Row[] {
  const rows: Row[] = [];
  const phoneIds = new Set<string>();
  const base = (c: HsdsContact) => ({
    service_id: svc.id,
    name: text(c.name),
    title: text(c.title),
    email: text(c.email),
    professional_only: c.wayfinder?.professional_only ?? false,
  });
  for (const c of svc.contacts ?? []) {
    const phones = c.phones ?? [];
    rows.push({ id: c.id, ...base(c), phone: phones[0] ? phoneNumber(phones[0]) : null });
    phones.forEach((p, i) => {
      if (i > 0 && !phoneIds.has(p.id))
        rows.push({ id: `${c.id}:phone:${p.id}`, ...base(c), email: null, phone: phoneNumber(p) });
      phoneIds.add(p.id);
    });
  }
  for (const p of svc.phones ?? []) {
    if (phoneIds.has(p.id)) continue;
    phoneIds.add(p.id);
    rows.push({
      id: `${svc.id}:phone:${p.id}`,
      service_id: svc.id,
      name: null,
      title: text(p.description),
      email: null,
      phone: phoneNumber(p),
      professional_only: false,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// SQL

interface Stage {
  list: keyof Lists;
  /** The table the rows end up in. */
  table: string;
  /**
   * Merged: on a database that has rows already, copied into a temporary import_<table> and
   * merged from there (an upsert). Otherwise the child table's rows are replaced: the rows it
   * replaces are deleted and the new ones copied straight in.
   */
  merged?: boolean;
  /** Column name and SQL type; COPY parses each value with the type's own input function. */
  columns: [string, string][];
}

const cols = (spec: string): [string, string][] =>
  spec
    .split(",")
    .map((c) => c.trim().split(/\s+/))
    .map(([name, ...type]) => [name!, type.join(" ") || "text"]);

const SERVICE_COLUMNS = cols(`organization_id, name, alternate_name, description, url, email,
  status, application_process, fees_description, eligibility_description, minimum_age integer,
  maximum_age integer, alert, needs text[], referral_routes text[], delivery_modes text[],
  accepting_referrals boolean, typical_wait_weeks integer, capacity_updated_at timestamptz,
  contract_end_date date, funder, referral_notes, referral_response_hours integer`);

// Loaded in this order: parents before the rows that refer to them.
const STAGES: Stage[] = [
  {
    list: "organizations",
    merged: true,
    table: "organization",
    columns: cols("id, name, description, email, url, legal_status, charity_number"),
  },
  {
    list: "locations",
    merged: true,
    table: "location",
    columns: cols(`id, organization_id, name, description, location_type,
      latitude double precision, longitude double precision, confidential boolean, address_1,
      city, region, postal_code, country`),
  },
  {
    list: "services",
    merged: true,
    table: "service",
    columns: [["id", "text"], ...SERVICE_COLUMNS],
  },
  {
    list: "serviceAtLocations",
    table: "service_at_location",
    columns: cols("id, service_id, location_id"),
  },
  {
    list: "serviceAreas",
    table: "service_area",
    columns: cols("id, service_id, name, local_authority_code"),
  },
  {
    list: "schedules",
    table: "schedule",
    columns: cols(`id, service_id, freq, byday, opens_at time, closes_at time, valid_from date,
      valid_to date, description`),
  },
  {
    list: "costOptions",
    table: "cost_option",
    columns: cols("id, service_id, option, amount numeric, currency, amount_description"),
  },
  {
    list: "contacts",
    table: "contact",
    columns: cols("id, service_id, name, title, email, phone, professional_only boolean"),
  },
  {
    list: "languages",
    table: "language",
    columns: cols("id, service_id, name, code"),
  },
  {
    list: "taxonomies",
    merged: true,
    table: "taxonomy",
    columns: cols("id, name, description, uri, version"),
  },
  {
    list: "taxonomyTerms",
    merged: true,
    table: "taxonomy_term",
    columns: cols("id, code, name, vocabulary, description, parent_id, taxonomy_id, term_uri"),
  },
  {
    list: "serviceTaxonomy",
    table: "service_taxonomy",
    columns: cols("service_id, taxonomy_term_id"),
  },
  {
    list: "coDeliveries",
    merged: true,
    table: "co_delivery",
    columns: cols("id, service_ref, organization_id, role, staff_share numeric, contact_email"),
  },
];

/** Rows per COPY chunk: the encoder runs ahead of the database by about this much. */
const CHUNK = 2000;

/** Copies rows into a table; `extra` gives columns whose value is the same on every row. */
async function copyRows(
  tx: Transaction,
  table: string,
  columns: [string, string][],
  list: Row[],
  extra: Row = {},
) {
  if (!list.length) return;
  const names = [...columns.map(([c]) => c), ...Object.keys(extra)];
  const tail = Object.keys(extra).length ? copyRow(Object.values(extra)).slice(0, -1) : null;
  function* chunks() {
    for (let i = 0; i < list.length; i += CHUNK) {
      let text = "";
      for (const row of list.slice(i, i + CHUNK)) {
        const line = copyRow(columns.map(([c]) => row[c]));
        text += tail === null ? line : `${line.slice(0, -1)}\t${tail}\n`;
      }
      yield text;
    }
  }
  await tx.copyFrom(table, names, chunks());
}

// ---------------------------------------------------------------------------------------------
// Into a database with rows already: staging tables and set-based merges

async function mergeInto(
  tx: Transaction,
  r: Lists,
  merged: (list: keyof Lists) => void,
  unhidden: { id: string }[],
) {
  for (const st of STAGES.filter((x) => x.merged)) {
    await tx.query(
      `CREATE TEMP TABLE import_${st.table} (${st.columns.map(([c, t]) => `${c} ${t}`).join(", ")}) ON COMMIT DROP`,
    );
    await copyRows(tx, `import_${st.table}`, st.columns, r[st.list]);
  }
  await tx.query(UPSERT_ORGANIZATIONS);
  merged("organizations");
  await tx.query(UPSERT_LOCATIONS);
  await tx.query(SET_CONFIDENTIAL);
  merged("locations");
  if (unhidden.length) {
    await tx.query(
      `INSERT INTO location_audit (location_id, actor, confidential_from, confidential_to, reason)
       SELECT id, 'import', true, false, 'import with --allow-unhide' FROM unnest($1::text[]) AS u(id)`,
      [unhidden.map((l) => l.id)],
    );
  }
  await tx.query(UPSERT_SERVICES);
  merged("services");
  await tx.query(UPSERT_TAXONOMIES);
  merged("taxonomies");
  await tx.query(UPSERT_TAXONOMY_TERMS);
  merged("taxonomyTerms");
  // What follows writes only to tables whose triggers are foreign-key checks; on PGlite they are
  // done once at the end instead of row by row (a fifth of a re-import's CPU). PGlite runs one
  // transaction at a time, so no other writer can remove a referenced row before the commit; on
  // PostgreSQL one could, and the row locks of the built-in checks are what prevent that.
  const unchecked = tx.kind === "pglite" && (await deferReferenceChecks(tx));
  for (const st of STAGES.filter((x) => !x.merged)) {
    const list = r[st.list];
    await tx.query(
      replaceChildren(st.table),
      st.table === "service_taxonomy" ? [] : [list.map((row) => row.id)],
    );
    await copyRows(tx, st.table, st.columns, list);
    merged(st.list);
  }
  await tx.query(UPSERT_CO_DELIVERIES);
  merged("coDeliveries");
  if (unchecked)
    await checkReferences(tx, [
      ...STAGES.filter((x) => !x.merged).map((x) => x.table),
      "co_delivery",
    ]);
}

// ---------------------------------------------------------------------------------------------
// Into an empty database (a new partner, npm start's first run): straight into the tables

/** Every table an import writes. */
const LOADED = [...new Set(STAGES.map((st) => st.table))];

/**
 * The triggers on LOADED that deferReferenceChecks knows it may switch off: the change-feed stamp,
 * whose work loadIntoEmpty does itself (change_xid), and location_rederive, which fires on UPDATE
 * only (the merge switches triggers off only after its service and location writes). A trigger
 * added later is not switched off unknowingly: the import then runs with every trigger on.
 */
const KNOWN_TRIGGERS = ["service_change_stamp_insert", "service_change_stamp", "location_rederive"];

/**
 * True when the partner's database has none of the rows an import writes; the tables are then
 * locked against other writers (readers go on) until the import commits, so they stay empty.
 */
async function claimIfEmpty(tx: Transaction): Promise<boolean> {
  const isEmpty = async () => {
    const [{ empty }] = await tx.query<{ empty: boolean }>(
      `SELECT ${LOADED.map((t) => `NOT EXISTS (SELECT 1 FROM ${t})`).join(" AND ")} AS empty`,
    );
    return empty;
  };
  if (!(await isEmpty())) return false;
  await tx.query(`LOCK TABLE ${LOADED.join(", ")} IN EXCLUSIVE MODE`);
  return isEmpty();
}

/**
 * The bulk load of a database with nothing in it: rows are copied into their tables once, no
 * staging and no merge. The per-row work a load does not need is left out and done set-based
 * instead: foreign keys are not checked row by row (session_replication_role = replica switches
 * off their triggers) but each with one anti-join at the end, and on PGlite, secondary indexes are
 * dropped and built again once the rows are in (a sort each, not one B-tree insert per row). A broken
 * reference is refused with the record named and, the transaction rolling back, nothing written.
 * The switches need a superuser (PGlite always is; a PostgreSQL import role may not be): without
 * one, rows are checked as they go in, as in the merge.
 */
async function loadIntoEmpty(tx: Transaction, r: Lists, loaded: (list: keyof Lists) => void) {
  const [{ xid }] = await tx.query<{ xid: string }>(`SELECT pg_current_xact_id()::text AS xid`);
  const unchecked = await deferReferenceChecks(tx);
  // Only where the import has the database to itself (PGlite runs one transaction at a time): on
  // PostgreSQL, DROP INDEX would lock readers out until the import commits, and building the indexes
  // afterwards was no faster there (a 40,000-service load: 1.6 to 2.1 s either way).
  const indexes =
    tx.kind === "pglite"
      ? await tx.query<{ name: string; def: string }>(SECONDARY_INDEXES, [LOADED])
      : [];
  for (const ix of indexes) await tx.query(`DROP INDEX ${ix.name}`);

  // What the merge's joins and defaults do, done on the rows: a location's organization is linked
  // only when the file has it, confidential defaults to false, and each service carries this
  // transaction's id for the change feed (the stamp trigger is off, or finds nothing to do).
  const orgs = new Set(r.organizations.map((o) => o.id));
  const rows: Lists = {
    ...r,
    locations: r.locations.map((l) => ({
      ...l,
      organization_id: orgs.has(l.organization_id) ? l.organization_id : null,
      confidential: l.confidential ?? false,
    })),
  };
  for (const st of STAGES) {
    await copyRows(
      tx,
      st.table,
      st.columns,
      rows[st.list],
      st.table === "service" ? { change_xid: xid } : {},
    );
    loaded(st.list);
  }

  for (const ix of indexes) await tx.query(ix.def);
  if (unchecked) await checkReferences(tx, LOADED);
}

// Indexes that belong to no constraint (a primary key's stays: foreign keys rely on it).
const SECONDARY_INDEXES = /* sql */ `
  SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
  FROM pg_index i
  WHERE i.indrelid = ANY($1::text[]::regclass[])
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
  ORDER BY 1`;

// Each foreign key of the loaded tables: the referring columns, the referred table and columns,
// and the referring table's primary key (to name the record).
const FOREIGN_KEYS = /* sql */ `
  SELECT c.conname AS name, c.conrelid::regclass::text AS "table",
    c.confrelid::regclass::text AS "refTable",
    ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
    ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
      AS "refColumns",
    ARRAY(SELECT quote_ident(a.attname) FROM pg_constraint p
          JOIN unnest(p.conkey) WITH ORDINALITY k(n, i) ON true
          JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.n
          WHERE p.conrelid = c.conrelid AND p.contype = 'p' ORDER BY k.i) AS key
  FROM pg_constraint c
  WHERE c.contype = 'f' AND c.conrelid = ANY($1::text[]::regclass[])
  ORDER BY 2, 1`;

interface ForeignKey {
  name: string;
  table: string;
  refTable: string;
  columns: string[];
  refColumns: string[];
  key: string[];
}

/** A row the import would write refers to a row that is neither in the file nor the database. */
export class BrokenReferenceError extends Error {
  constructor(
    readonly table: string,
    readonly record: string,
    readonly constraint: string,
  ) {
    super(
      `${table} ${record}: violates foreign key ${constraint}, it refers to a row that is not in the file; nothing was imported`,
    );
    this.name = "BrokenReferenceError";
  }
}

/**
 * Switches off the per-row triggers for the rest of the transaction or until checkReferences:
 * foreign keys are then checked once, set-based, by checkReferences. Returns false, leaving them on,
 * where that cannot be done: the role is not a superuser, or a table has a trigger not known here.
 */
async function deferReferenceChecks(tx: Transaction): Promise<boolean> {
  const [{ superuser }] = await tx.query<{ superuser: boolean }>(
    `SELECT current_setting('is_superuser') = 'on' AS superuser`,
  );
  if (!superuser) return false;
  const unknownTriggers = await tx.query<{ tgname: string }>(
    `SELECT tgname FROM pg_trigger
     WHERE NOT tgisinternal AND tgrelid = ANY($1::text[]::regclass[]) AND tgname <> ALL($2::text[])`,
    [LOADED, KNOWN_TRIGGERS],
  );
  if (unknownTriggers.length) return false;
  await tx.query(`SET LOCAL session_replication_role = replica`);
  return true;
}

/**
 * Turns the triggers back on and checks the foreign keys of the given tables, one anti-join each;
 * the first row that breaks one is named (and the import rolls back).
 */
async function checkReferences(tx: Transaction, tables: string[]) {
  await tx.query(`SET LOCAL session_replication_role = origin`);
  const fks = await tx.query<ForeignKey>(FOREIGN_KEYS, [tables]);
  for (const fk of fks) {
    const shown = [...fk.key, ...fk.columns.filter((c) => !fk.key.includes(c))];
    const [bad] = await tx.query<{ record: Record<string, unknown> }>(
      `SELECT json_build_object(${shown.map((c) => `'${c.replace(/"/g, "")}', t.${c}`).join(", ")}) AS record
       FROM ${fk.table} t
       WHERE ${fk.columns.map((c) => `t.${c} IS NOT NULL`).join(" AND ")}
         AND NOT EXISTS (SELECT 1 FROM ${fk.refTable} p
                         WHERE ${fk.columns.map((c, i) => `p.${fk.refColumns[i]} = t.${c}`).join(" AND ")})
       LIMIT 1`,
    );
    if (bad) {
      const record = Object.entries(bad.record)
        .map(([c, v]) => `${c} ${JSON.stringify(v)}`)
        .join(", ");
      throw new BrokenReferenceError(fk.table, `(${record})`, fk.name);
    }
  }
}

const UPSERT_ORGANIZATIONS = /* sql */ `
  INSERT INTO organization (id, name, description, email, url, legal_status, charity_number)
  SELECT id, name, description, email, url, legal_status, charity_number FROM import_organization
  ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, description = EXCLUDED.description, email = EXCLUDED.email,
    url = EXCLUDED.url, legal_status = EXCLUDED.legal_status,
    charity_number = EXCLUDED.charity_number, last_modified = now()`;

// A location's organization is linked only when it is known (in the file or already here).
const UPSERT_LOCATIONS = /* sql */ `
  INSERT INTO location (id, organization_id, name, description, location_type, latitude, longitude,
    confidential, address_1, city, region, postal_code, country)
  SELECT r.id, o.id, r.name, r.description, r.location_type, r.latitude, r.longitude,
    COALESCE(r.confidential, false), r.address_1, r.city, r.region, r.postal_code, r.country
  FROM import_location r LEFT JOIN organization o ON o.id = r.organization_id
  ON CONFLICT (id) DO UPDATE SET
    organization_id = EXCLUDED.organization_id, name = EXCLUDED.name,
    description = EXCLUDED.description, location_type = EXCLUDED.location_type,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    address_1 = EXCLUDED.address_1, city = EXCLUDED.city,
    region = EXCLUDED.region, postal_code = EXCLUDED.postal_code, country = EXCLUDED.country`;

// The flag is set only where the file gives it (unhiding was checked before this runs); an
// existing location the file says nothing about keeps its flag.
const SET_CONFIDENTIAL = /* sql */ `
  UPDATE location l SET confidential = r.confidential
  FROM import_location r
  WHERE l.id = r.id AND r.confidential IS NOT NULL AND l.confidential IS DISTINCT FROM r.confidential`;

const SERVICE_NAMES = SERVICE_COLUMNS.map(([c]) => c);

const UPSERT_SERVICES = /* sql */ `
  INSERT INTO service AS s (id, ${SERVICE_NAMES.join(", ")}, change_xid)
  SELECT id, ${SERVICE_NAMES.join(", ")}, pg_current_xact_id() FROM import_service
  ON CONFLICT (id) DO UPDATE SET
    ${SERVICE_NAMES.map((c) => `${c} = EXCLUDED.${c}`).join(", ")},
    version = s.version + 1, change_seq = nextval('change_seq'),
    change_xid = pg_current_xact_id(), last_modified = now(), deleted_at = NULL`;

// Before a child table's rows are copied in: out go the imported services' old rows and any row
// whose id the file now gives to another service (the id moves to the service that now lists it,
// rather than failing the whole import). What is copied in then needs no ON CONFLICT.
const replaceChildren = (table: string) => /* sql */ `
  DELETE FROM ${table} t
  WHERE t.service_id IN (SELECT id FROM import_service)${
    table === "service_taxonomy" ? "" : " OR t.id = ANY($1::text[])"
  }`;

const UPSERT_TAXONOMIES = /* sql */ `
  INSERT INTO taxonomy (id, name, description, uri, version)
  SELECT id, name, description, uri, version FROM import_taxonomy
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
    uri = EXCLUDED.uri, version = EXCLUDED.version`;

const UPSERT_TAXONOMY_TERMS = /* sql */ `
  INSERT INTO taxonomy_term (id, code, name, vocabulary, description, parent_id, taxonomy_id,
    term_uri)
  SELECT id, code, name, vocabulary, description, parent_id, taxonomy_id, term_uri
  FROM import_taxonomy_term
  ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name,
    vocabulary = EXCLUDED.vocabulary, description = EXCLUDED.description,
    parent_id = EXCLUDED.parent_id, taxonomy_id = EXCLUDED.taxonomy_id,
    term_uri = EXCLUDED.term_uri`;

const UPSERT_CO_DELIVERIES = /* sql */ `
  INSERT INTO co_delivery AS c (id, service_ref, organization_id, role, staff_share, contact_email)
  SELECT id, service_ref, organization_id, role, staff_share, contact_email FROM import_co_delivery
  ON CONFLICT (id) DO UPDATE SET service_ref = EXCLUDED.service_ref,
    organization_id = EXCLUDED.organization_id, role = EXCLUDED.role,
    staff_share = EXCLUDED.staff_share, contact_email = EXCLUDED.contact_email,
    change_seq = nextval('change_seq')`;

const MISSING_LIVE = /* sql */ `
  SELECT s.id, s.name FROM service s
  WHERE s.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM unnest($1::text[]) AS k(id) WHERE k.id = s.id)
  ORDER BY s.name, s.id`;

// Anti-join rather than NOT IN/<> ALL: a hash join stays fast with 100,000 ids.
const TOMBSTONE_MISSING = /* sql */ `
  UPDATE service s SET deleted_at = now(), status = 'defunct',
    change_seq = nextval('change_seq'), change_xid = pg_current_xact_id(), version = s.version + 1, last_modified = now()
  WHERE s.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM import_service k WHERE k.id = s.id)
  RETURNING s.id`;

// ---------------------------------------------------------------------------------------------
// Files

/** A file that cannot be read or is not JSON (validation problems are HsdsValidationError). */
export class HsdsFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "HsdsFileError";
  }
}

/** Parses JSON text, turning V8's "at position N" into a line and column a person can find. */
export function parseHsdsJson(source: string, file = "(input)"): unknown {
  const body = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  try {
    return JSON.parse(body);
  } catch (err) {
    const message = (err as Error).message;
    const m = /at position (\d+)/.exec(message);
    const pos = m ? Number(m[1]) : body.length;
    const before = body.slice(0, pos);
    const line = before.split("\n").length;
    const column = pos - before.lastIndexOf("\n");
    const detail = message.replace(/ in JSON at position \d+.*$/s, "");
    throw new HsdsFileError(`${file}:${line}:${column}: invalid JSON: ${detail}`, file);
  }
}

/** Reads and parses an import file, or a folder of HSDS CSV tables (or its datapackage.json). */
export async function readHsdsSource(file: string): Promise<unknown> {
  if (isTabularPath(file)) {
    try {
      return readTabularDir(file);
    } catch (err) {
      if (err instanceof TabularError) throw new HsdsFileError(err.message, file);
      throw err;
    }
  }
  if (/\.csv$/i.test(file))
    throw new HsdsFileError(
      `${file}: this is one table of an HSDS tabular package; import the folder that holds it (with services.csv and the others)`,
      file,
    );
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a folder without HSDS CSV tables (services.csv …)"
          : String(err);
    throw new HsdsFileError(`${file}: cannot read: ${why}`, file);
  }
  return parseHsdsJson(source, file);
}

/** Reads, parses and validates an import file. */
export async function readHsdsFile(file: string): Promise<HsdsBundle> {
  return validateHsds(await readHsdsSource(file));
}

export { HsdsValidationError };

export interface ImportFileOptions extends ImportOptions {
  /** An open database to write to; otherwise `target` is opened and closed. */
  db?: Db;
  /** Where the partner's data lives (scripts/config.ts importConfig). */
  target?: PartnerDbConfig;
}

/** Imports one file into a partner's database: the CLI's job, reusable by first-run seeding. */
export async function importFile(
  partner: PartnerId,
  file: string,
  opts: ImportFileOptions = {},
): Promise<ImportResult> {
  if (!isPartnerId(partner)) throw new Error(`unknown partner "${String(partner)}"`);
  const bundle = await readHsdsFile(file);
  if (opts.db) return importHsds(opts.db, bundle, opts);
  const cfg = opts.target;
  if (!cfg) throw new Error("importFile needs an open db or a target database config");
  const db = await openDb({
    url: cfg.databaseUrl,
    dataDir: cfg.databaseUrl ? undefined : cfg.pgliteDir,
    migrationDirs: [],
  });
  try {
    return await importHsds(db, bundle, opts);
  } finally {
    await db.close();
  }
}

// What an import read, wrote and refused, and everything it did not keep: fields Wayfinder has no
// column for, values it could not store, taxonomy terms the needs mapping does not know. Nothing a
// feed publishes is dropped without being counted here.
import type { HsdsBundle } from "./format.ts";
import { isObject } from "./shapes.ts";

type Spec = { [field: string]: true | Spec };

const TAXONOMY: Spec = { id: true, name: true, description: true, uri: true, version: true };
const TERM: Spec = {
  id: true,
  code: true,
  name: true,
  term: true,
  description: true,
  taxonomy: true,
  vocabulary: true,
  taxonomy_id: true,
  parent_id: true,
  term_uri: true,
  taxonomy_detail: TAXONOMY,
};
const ORGANIZATION: Spec = {
  id: true,
  name: true,
  description: true,
  email: true,
  website: true,
  url: true,
  legal_status: true,
  organization_identifiers: {
    id: true,
    identifier_scheme: true,
    identifier: true,
    identifier_type: true,
  },
  wayfinder: true,
};
const LOCATION: Spec = {
  id: true,
  location_type: true,
  organization_id: true,
  name: true,
  description: true,
  latitude: true,
  longitude: true,
  addresses: {
    id: true,
    location_id: true,
    address_1: true,
    address_2: true,
    city: true,
    region: true,
    state_province: true,
    postal_code: true,
    country: true,
    address_type: true,
  },
  wayfinder: true,
};
const PHONE: Spec = { id: true, number: true, extension: true, description: true };
const SERVICE: Spec = {
  id: true,
  name: true,
  status: true,
  organization_id: true,
  organization: ORGANIZATION,
  alternate_name: true,
  description: true,
  url: true,
  email: true,
  application_process: true,
  fees_description: true,
  fees: true,
  eligibility_description: true,
  minimum_age: true,
  maximum_age: true,
  alert: true,
  service_at_locations: { id: true, location_id: true, location: LOCATION },
  service_areas: {
    id: true,
    name: true,
    description: true,
    extent: true,
    extent_type: true,
    uri: true,
  },
  schedules: {
    id: true,
    freq: true,
    byday: true,
    opens_at: true,
    closes_at: true,
    valid_from: true,
    valid_to: true,
    description: true,
  },
  cost_options: { id: true, option: true, amount: true, currency: true, amount_description: true },
  contacts: { id: true, name: true, title: true, email: true, phones: PHONE, wayfinder: true },
  phones: PHONE,
  languages: { id: true, name: true, code: true },
  attributes: { id: true, taxonomy_term_id: true, taxonomy_term: TERM },
  wayfinder: true,
};
const CO_DELIVERY: Spec = {
  id: true,
  service_ref: true,
  organization_id: true,
  role: true,
  staff_share: true,
  contact_email: true,
};

const empty = (v: unknown) =>
  v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);

function walk(value: unknown, spec: Spec, path: string, counts: Map<string, number>) {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, spec, path, counts);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (empty(v)) continue;
    const s = spec[k];
    if (s === undefined) {
      const key = `${path}.${k}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } else if (s !== true) walk(v, s, `${path}.${k}`, counts);
  }
}

export interface UnmappedTerm {
  taxonomy: string;
  id: string;
  name: string;
  /** Services tagged with it in this file. */
  services: number;
}

export interface ImportCounts {
  organizations: number;
  services: number;
  locations: number;
  coDeliveries: number;
  taxonomies: number;
  taxonomyTerms: number;
  tombstoned: number;
}

export interface ImportReport {
  /** What the file was: "an HSDS 3.0 / ORUK page of 3 services (contents)". */
  kind: string;
  read: Omit<ImportCounts, "tombstoned">;
  written: ImportCounts;
  /** Records refused with a problem (validation); with any, nothing is written. */
  refused: number;
  /** `service.accreditations` → how many records carried it: fields Wayfinder has no place for. */
  unmappedFields: Map<string, number>;
  /** Values read but not stored, by reason: "service_areas not naming a GSS local authority" → n. */
  notStored: Map<string, number>;
  /** Taxonomy terms the needs mapping (schema/taxonomy-needs.csv) does not know. */
  unmappedTerms: UnmappedTerm[];
  /** Services that left the import with no need at all (they will not appear in routing). */
  servicesWithoutNeeds: number;
  /** Services whose file gave no referral routes: PROFESSIONAL was assumed (see serviceRow). */
  servicesAssumedProfessionalReferral: number;
}

/** The parts of the report that come from the file alone. */
export function readReport(
  bundle: HsdsBundle,
): Pick<ImportReport, "kind" | "read" | "unmappedFields"> {
  const unmappedFields = new Map<string, number>();
  walk(bundle.services, SERVICE, "service", unmappedFields);
  walk(bundle.organizations, { ...ORGANIZATION }, "organization", unmappedFields);
  walk(bundle.locations ?? [], LOCATION, "location", unmappedFields);
  walk(bundle.taxonomies ?? [], TAXONOMY, "taxonomy", unmappedFields);
  walk(bundle.taxonomy_terms ?? [], TERM, "taxonomy_term", unmappedFields);
  walk(bundle.co_deliveries, CO_DELIVERY, "co_delivery", unmappedFields);
  const nestedOrgs = new Set(
    bundle.services.map((s) => s.organization?.id).filter((id): id is string => !!id),
  );
  for (const o of bundle.organizations) nestedOrgs.add(o.id);
  const locations = new Set((bundle.locations ?? []).map((l) => l.id));
  for (const s of bundle.services)
    for (const sal of s.service_at_locations ?? [])
      if (sal.location) locations.add(sal.location.id);
  return {
    kind: bundle.kind ?? "a Wayfinder bundle",
    read: {
      organizations: nestedOrgs.size,
      services: bundle.services.length,
      locations: locations.size,
      coDeliveries: bundle.co_deliveries.length,
      taxonomies: bundle.taxonomies?.length ?? 0,
      taxonomyTerms: bundle.taxonomy_terms?.length ?? 0,
    },
    unmappedFields,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countsLine(c: Omit<ImportCounts, "tombstoned"> & { tombstoned?: number }) {
  const parts = [
    plural(c.services, "service"),
    plural(c.organizations, "organization"),
    plural(c.locations, "location"),
  ];
  if (c.taxonomies) parts.push(plural(c.taxonomies, "taxonomy", "taxonomies"));
  if (c.taxonomyTerms) parts.push(plural(c.taxonomyTerms, "taxonomy term"));
  if (c.coDeliveries) parts.push(plural(c.coDeliveries, "co-delivery", "co-deliveries"));
  if (c.tombstoned !== undefined) parts.push(`${c.tombstoned} tombstoned`);
  return parts.join(", ");
}

/** The report as the CLI prints it. */
export function formatReport(r: ImportReport, max = 30): string {
  const lines = [
    `read:    ${r.kind}: ${countsLine(r.read)}`,
    `written: ${countsLine(r.written)}`,
    `refused: ${plural(r.refused, "record")}`,
  ];
  const top = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (r.unmappedFields.size) {
    lines.push(`fields not mapped (Wayfinder has no place for them; kept out):`);
    const all = top(r.unmappedFields);
    for (const [k, n] of all.slice(0, max)) lines.push(`  ${k}: ${n}`);
    if (all.length > max) lines.push(`  … and ${all.length - max} more fields`);
  }
  if (r.notStored.size) {
    lines.push(`values read but not stored:`);
    for (const [k, n] of top(r.notStored)) lines.push(`  ${k}: ${n}`);
  }
  if (r.unmappedTerms.length) {
    lines.push(
      `taxonomy terms with no need in schema/taxonomy-needs.csv (${r.unmappedTerms.length}; add them there to route these services):`,
    );
    for (const t of r.unmappedTerms.slice(0, max))
      lines.push(
        `  ${t.taxonomy} ${JSON.stringify(t.id)} "${t.name}": ${plural(t.services, "service")}`,
      );
    if (r.unmappedTerms.length > max)
      lines.push(`  … and ${r.unmappedTerms.length - max} more terms`);
  }
  if (r.servicesWithoutNeeds)
    lines.push(
      `${plural(r.servicesWithoutNeeds, "service")} imported with no need: they are searchable but not routed`,
    );
  if (r.servicesAssumedProfessionalReferral)
    lines.push(
      `${plural(r.servicesAssumedProfessionalReferral, "service")} gave no referral routes: "any professional can refer" (PROFESSIONAL) assumed; wayfinder.referral_routes says otherwise`,
    );
  return lines.join("\n");
}

/** The report as JSON (Maps as objects), for --json and for tests. */
export function reportJson(r: ImportReport) {
  return {
    ...r,
    unmappedFields: Object.fromEntries(r.unmappedFields),
    notStored: Object.fromEntries(r.notStored),
  };
}

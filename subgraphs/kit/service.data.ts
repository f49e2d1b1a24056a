// SQL for a partner's services. Nothing else in a partner subgraph touches the database.
import type { Queryable } from "./db/db.ts";

export interface ServiceRow {
  id: string;
  organization_id: string;
  name: string;
  alternate_name: string | null;
  description: string;
  url: string | null;
  email: string | null;
  status: string;
  application_process: string | null;
  fees_description: string | null;
  eligibility_description: string | null;
  minimum_age: number | null;
  maximum_age: number | null;
  alert: string | null;
  needs: string[];
  referral_routes: string[];
  delivery_modes: string[];
  accepting_referrals: boolean;
  typical_wait_weeks: number | null;
  capacity_updated_at: Date | null;
  contract_end_date: string | Date | null;
  funder: string | null;
  referral_notes: string | null;
  referral_response_hours?: number | null;
  version: number;
  change_seq: number | string;
  deleted_at: Date | null;
  last_modified: Date;
}

export interface OrganizationRow {
  id: string;
  name: string;
  description: string;
  email: string | null;
  url: string | null;
  legal_status: string | null;
  charity_number: string | null;
}

export interface LocationRow {
  service_id: string;
  id: string;
  name: string | null;
  description: string | null;
  location_type: string;
  latitude: number | null;
  longitude: number | null;
  confidential: boolean;
  address_1: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string;
}

export interface ServiceAreaRow {
  service_id: string;
  local_authority_code: string;
  name: string | null;
}
export interface ScheduleRow {
  service_id: string;
  id: string;
  freq: string | null;
  byday: string | null;
  opens_at: string | null;
  closes_at: string | null;
  description: string | null;
}
export interface CostOptionRow {
  service_id: string;
  id: string;
  option: string | null;
  amount: string | number | null;
  currency: string | null;
  amount_description: string | null;
}
export interface ContactRow {
  service_id: string;
  id: string;
  name: string | null;
  title: string | null;
  email: string | null;
  phone: string | null;
  professional_only: boolean;
}
export interface LanguageRow {
  service_id: string;
  name: string;
  code: string | null;
}
export interface TaxonomyRow {
  service_id: string;
  id: string;
  code: string | null;
  name: string;
  vocabulary: string | null;
}

const SERVICE_COLUMNS = `id, organization_id, name, alternate_name, description, url, email, status,
  application_process, fees_description, eligibility_description, minimum_age, maximum_age, alert,
  needs, referral_routes, delivery_modes, accepting_referrals, typical_wait_weeks, capacity_updated_at,
  contract_end_date::text AS contract_end_date, funder, referral_notes, referral_response_hours, version,
  change_seq, deleted_at, last_modified`;

const ORGANIZATION_COLUMNS = `id, name, description, email, url, legal_status, charity_number`;

export function servicesByIds(db: Queryable, ids: readonly string[]) {
  return db.query<ServiceRow>(
    `SELECT ${SERVICE_COLUMNS} FROM service WHERE id = ANY($1::text[]) AND deleted_at IS NULL`,
    [ids],
  );
}

/** Like servicesByIds, tombstones included (the feed reports them as deletions). */
export function servicesByIdsWithTombstones(db: Queryable, ids: readonly string[]) {
  return db.query<ServiceRow>(`SELECT ${SERVICE_COLUMNS} FROM service WHERE id = ANY($1::text[])`, [
    ids,
  ]);
}

/** Each organization's services by name, rows offset+1 … offset+first of each. */
export function servicesByOrganizationIds(
  db: Queryable,
  orgIds: readonly string[],
  first: number,
  offset: number,
) {
  return db.query<ServiceRow>(
    `SELECT ${SERVICE_COLUMNS} FROM (
       SELECT *, row_number() OVER (PARTITION BY organization_id ORDER BY name, id) AS n FROM service
       WHERE organization_id = ANY($1::text[]) AND deleted_at IS NULL) s
     WHERE n > $3 AND n <= $2 + $3 ORDER BY name, id`,
    [orgIds, first, offset],
  );
}

export function organizationsByIds(db: Queryable, ids: readonly string[]) {
  return db.query<OrganizationRow>(
    `SELECT ${ORGANIZATION_COLUMNS} FROM organization WHERE id = ANY($1::text[])`,
    [ids],
  );
}

export function listOrganizations(db: Queryable, limit: number, offset: number) {
  return db.query<OrganizationRow>(
    `SELECT id, name, description, email, url, legal_status, charity_number
     FROM organization ORDER BY name, id LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
}

// Child lists, each fetched for a whole batch of services in one query, or joined as JSON onto the
// services they belong to (servicesWithRelations). `key` is the column matched to service ids;
// `order` orders one service's rows, in the columns the list's rows carry.
const CHILD_QUERIES = {
  locations: {
    columns: `sal.service_id, l.id, l.name, l.description, l.location_type, l.latitude,
      l.longitude, l.confidential, l.address_1, l.city, l.region, l.postal_code, l.country,
      sal.id AS link_id`,
    from: `service_at_location sal JOIN location l ON l.id = sal.location_id`,
    key: "sal.service_id",
    order: "link_id",
  },
  serviceAreas: {
    columns: `service_id, local_authority_code, name`,
    from: `service_area`,
    key: "service_id",
    order: "local_authority_code",
  },
  schedules: {
    columns: `service_id, id, freq, byday, to_char(opens_at, 'HH24:MI') AS opens_at,
      to_char(closes_at, 'HH24:MI') AS closes_at, description`,
    from: `schedule`,
    key: "service_id",
    order: "id",
  },
  costOptions: {
    columns: `service_id, id, option, amount, currency, amount_description`,
    from: `cost_option`,
    key: "service_id",
    order: "id",
  },
  contacts: {
    columns: `service_id, id, name, title, email, phone, professional_only`,
    from: `contact`,
    key: "service_id",
    order: "id",
  },
  languages: {
    columns: `service_id, name, code`,
    from: `language`,
    key: "service_id",
    order: "name",
  },
  taxonomyTerms: {
    columns: `st.service_id, t.id, t.code, t.name, t.vocabulary`,
    from: `service_taxonomy st JOIN taxonomy_term t ON t.id = st.taxonomy_term_id`,
    key: "st.service_id",
    order: "id",
  },
} as const;

const CHILD_SQL = Object.fromEntries(
  Object.entries(CHILD_QUERIES).map(([kind, q]) => [
    kind,
    `SELECT * FROM (SELECT ${q.columns} FROM ${q.from} WHERE ${q.key} = ANY($1::text[])) c
     ORDER BY service_id, ${q.order}`,
  ]),
) as Record<ChildKind, string>;

export interface ChildRows {
  locations: LocationRow;
  serviceAreas: ServiceAreaRow;
  schedules: ScheduleRow;
  costOptions: CostOptionRow;
  contacts: ContactRow;
  languages: LanguageRow;
  taxonomyTerms: TaxonomyRow;
}
export type ChildKind = keyof ChildRows;
export const CHILD_KINDS = Object.keys(CHILD_QUERIES) as ChildKind[];

export function childrenByServiceIds<K extends ChildKind>(
  db: Queryable,
  kind: K,
  serviceIds: readonly string[],
) {
  return db.query<ChildRows[K]>(CHILD_SQL[kind], [serviceIds]);
}

/** What servicesWithRelations can join onto a service: its organization and its child lists. */
export type Relation = "organization" | ChildKind;

/** A service row with the relations asked for, as JSON: the organization's row or null, each list's rows. */
export type ServiceWithRelations = ServiceRow & {
  rel_organization?: OrganizationRow | null;
} & { [K in ChildKind as `rel_${K}`]?: ChildRows[K][] };

/**
 * servicesByIds with its organization and child lists joined in the same query, each as JSON in a
 * `rel_<relation>` column: one statement (one parse, one plan) where a loader per relation would
 * send one each. The rows in the JSON are the rows organizationsByIds and childrenByServiceIds
 * return (a numeric amount arrives as a number rather than a string, which the mapper converts).
 */
export function servicesWithRelations(
  db: Queryable,
  ids: readonly string[],
  relations: ReadonlySet<Relation>,
) {
  const joined: string[] = [];
  // Fixed text only (never the caller's strings): the SQL varies with the set, not with input.
  if (relations.has("organization"))
    joined.push(
      `(SELECT to_json(o) FROM (SELECT ${ORGANIZATION_COLUMNS} FROM organization
         WHERE id = s.organization_id) o) AS rel_organization`,
    );
  for (const kind of CHILD_KINDS) {
    if (!relations.has(kind)) continue;
    const q = CHILD_QUERIES[kind];
    joined.push(
      `(SELECT coalesce(json_agg(c ORDER BY c.${q.order}), '[]'::json) FROM (SELECT ${q.columns}
         FROM ${q.from} WHERE ${q.key} = s.id) c) AS rel_${kind}`,
    );
  }
  return db.query<ServiceWithRelations>(
    `SELECT ${SERVICE_COLUMNS}${joined.map((j) => `,\n  ${j}`).join("")}
     FROM service s WHERE id = ANY($1::text[]) AND deleted_at IS NULL`,
    [ids],
  );
}

/** A change-feed position: the writing transaction and the change number within the feed. */
export interface FeedPosition {
  xid: string;
  seq: number;
}

/**
 * Services changed after a feed position, tombstones included, in feed order, and only those
 * written by transactions that have finished (committed or rolled back) before every transaction
 * still running began: whatever commits later sorts after them (see migration 003).
 */
export function servicesChangedSince(db: Queryable, after: FeedPosition, limit: number) {
  return db.query<ServiceRow & { change_xid: string }>(
    `SELECT ${SERVICE_COLUMNS}, change_xid::text AS change_xid FROM service
     WHERE (change_xid, change_seq) > ($1::xid8, $2::bigint)
       AND change_xid < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY change_xid, change_seq LIMIT $3`,
    [after.xid, after.seq, limit],
  );
}

/** How many changes lie after a feed position (finished or not). */
export async function changesAfter(db: Queryable, after: FeedPosition): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM service WHERE (change_xid, change_seq) > ($1::xid8, $2::bigint)`,
    [after.xid, after.seq],
  );
  return row!.n;
}

/** Every live service's id and change number: what a reconciliation compares with the index. */
export function serviceInventory(db: Queryable) {
  return db.query<{ id: string; change_seq: number | string }>(
    `SELECT id, change_seq FROM service WHERE deleted_at IS NULL ORDER BY id`,
  );
}

// SQL for partner admins' updates to their services and the audit trail they leave. Nothing else
// in a partner subgraph writes to the database (the importer aside, which replaces whole records).
import { HSDS_STATUS, type ServiceStatusCode } from "../../schema/vocabulary.ts";
import type { Db, Queryable } from "./db/db.ts";
import { servicesByIds, type ServiceRow } from "./service.data.ts";

/** A public contact as an admin sets it (phone and email are already validated and trimmed). */
export interface ContactValue {
  name: string | null;
  title: string | null;
  phone: string | null;
  email: string | null;
}

/** What an update sets; absent keys are left alone. Keys are the API's field paths. */
export interface ServicePatch {
  status?: ServiceStatusCode;
  "capacity.acceptingReferrals"?: boolean;
  "capacity.typicalWaitWeeks"?: number | null;
  email?: string | null;
  url?: string | null;
  /** Replaces every public contact; professional-only contacts are never touched. */
  contacts?: ContactValue[];
}

export type AuditChanges = Record<string, { from: unknown; to: unknown }>;

export interface UpdateRequest {
  hsdsId: string;
  expectedVersion: number;
  patch: ServicePatch;
  /** claims.sub of the admin making the change. */
  actor: string;
  actorPartner: string | null;
}

export type UpdateOutcome =
  | { kind: "updated"; row: ServiceRow; changes: AuditChanges }
  /** Every given value equals the stored one: nothing written, no version bump, no audit entry. */
  | { kind: "unchanged"; row: ServiceRow }
  | { kind: "not_found" }
  /** The service moved on since the caller read it; nothing was written. */
  | { kind: "conflict"; currentVersion: number };

const TO_HSDS_STATUS = Object.fromEntries(
  Object.entries(HSDS_STATUS).map(([hsds, code]) => [code, hsds]),
) as Record<ServiceStatusCode, string>;

// Scalar service columns an update may set, and how the stored value reads in the API's terms.
const SCALARS = {
  status: {
    column: "status",
    toApi: (v: unknown) => HSDS_STATUS[v as string] ?? v,
    toDb: (v: unknown) => TO_HSDS_STATUS[v as ServiceStatusCode],
  },
  "capacity.acceptingReferrals": { column: "accepting_referrals" },
  "capacity.typicalWaitWeeks": { column: "typical_wait_weeks" },
  email: { column: "email" },
  url: { column: "url" },
} as const satisfies Record<
  string,
  { column: string; toApi?: (v: unknown) => unknown; toDb?: (v: unknown) => unknown }
>;
type ScalarKey = keyof typeof SCALARS;
const SCALAR_KEYS = Object.keys(SCALARS) as ScalarKey[];
const CAPACITY_KEYS: ScalarKey[] = ["capacity.acceptingReferrals", "capacity.typicalWaitWeeks"];

interface LockedRow {
  version: number;
  deleted_at: Date | null;
  status: string;
  accepting_referrals: boolean;
  typical_wait_weeks: number | null;
  email: string | null;
  url: string | null;
}

// One key order, so two lists compare equal exactly when they say the same thing.
const contactValue = (c: ContactValue): ContactValue => ({
  name: c.name ?? null,
  title: c.title ?? null,
  phone: c.phone ?? null,
  email: c.email ?? null,
});

const publicContacts = (tx: Queryable, hsdsId: string) =>
  tx.query<ContactValue>(
    `SELECT name, title, phone, email FROM contact
     WHERE service_id = $1 AND NOT professional_only ORDER BY id`,
    [hsdsId],
  );

/**
 * Applies a patch if the service is still at `expectedVersion`, in one transaction with its audit
 * entry. The row is locked first, so two admins racing on one version cannot both win: the second
 * waits, then sees the new version and gets a conflict (never a silent overwrite).
 */
export async function updateService(db: Db, req: UpdateRequest): Promise<UpdateOutcome> {
  const { hsdsId, expectedVersion, patch } = req;
  return db.transaction(async (tx) => {
    const [current] = await tx.query<LockedRow>(
      `SELECT version, deleted_at, status, accepting_referrals, typical_wait_weeks, email, url
       FROM service WHERE id = $1 FOR UPDATE`,
      [hsdsId],
    );
    if (!current || current.deleted_at) return { kind: "not_found" };
    if (current.version !== expectedVersion)
      return { kind: "conflict", currentVersion: current.version };

    const changes: AuditChanges = {};
    const sets: string[] = [];
    const params: unknown[] = [hsdsId, expectedVersion];
    for (const key of SCALAR_KEYS) {
      if (!(key in patch)) continue;
      const spec: {
        column: string;
        toApi?: (v: unknown) => unknown;
        toDb?: (v: unknown) => unknown;
      } = SCALARS[key];
      const to = patch[key] ?? null;
      const from = spec.toApi
        ? spec.toApi(current[spec.column as keyof LockedRow])
        : current[spec.column as keyof LockedRow];
      if (from === to) continue;
      changes[key] = { from, to };
      params.push(spec.toDb ? spec.toDb(to) : to);
      sets.push(`${spec.column} = $${params.length}`);
    }
    if (CAPACITY_KEYS.some((k) => k in changes)) sets.push(`capacity_updated_at = now()`);

    let newContacts: ContactValue[] | null = null;
    if (patch.contacts) {
      const before = (await publicContacts(tx, hsdsId)).map(contactValue);
      const after = patch.contacts.map(contactValue);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        changes.contacts = { from: before, to: after };
        newContacts = after;
      }
    }

    if (Object.keys(changes).length === 0) {
      const [row] = await servicesByIds(tx, [hsdsId]);
      return { kind: "unchanged", row: row! };
    }

    // The version guard repeats the check above, so this statement alone can never overwrite a
    // newer version, whatever the isolation level.
    const updated = await tx.query<{ version: number }>(
      `UPDATE service SET ${[...sets, "version = version + 1", "change_seq = nextval('change_seq')", "last_modified = now()"].join(", ")}
       WHERE id = $1 AND version = $2 AND deleted_at IS NULL
       RETURNING version`,
      params,
    );
    if (updated.length === 0) {
      const [now] = await tx.query<{ version: number }>(
        `SELECT version FROM service WHERE id = $1`,
        [hsdsId],
      );
      return now ? { kind: "conflict", currentVersion: now.version } : { kind: "not_found" };
    }
    const versionTo = updated[0]!.version;

    if (newContacts) {
      await tx.query(`DELETE FROM contact WHERE service_id = $1 AND NOT professional_only`, [
        hsdsId,
      ]);
      // Fresh ids per version: the old rows are gone, and ids sort in the order the admin gave.
      const rows = newContacts.map((c, i) => ({
        id: `${hsdsId}:contact:v${versionTo}:${String(i).padStart(3, "0")}`,
        service_id: hsdsId,
        ...c,
      }));
      if (rows.length) {
        await tx.query(
          `INSERT INTO contact (id, service_id, name, title, phone, email, professional_only)
           SELECT id, service_id, name, title, phone, email, false
           FROM jsonb_to_recordset($1::jsonb)
             AS r(id text, service_id text, name text, title text, phone text, email text)`,
          [JSON.stringify(rows)],
        );
      }
    }

    await tx.query(
      `INSERT INTO audit_log (service_id, actor, actor_partner, version_from, version_to, changes)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
      [hsdsId, req.actor, req.actorPartner, expectedVersion, versionTo, JSON.stringify(changes)],
    );
    const [row] = await servicesByIds(tx, [hsdsId]);
    return { kind: "updated", row: row!, changes };
  });
}

export interface AuditRow {
  id: string;
  service_id: string;
  actor: string;
  actor_partner: string | null;
  at: Date;
  version_from: number;
  version_to: number;
  changes: AuditChanges | string;
}

/** A service's audit trail, newest first; null when no such service ever existed. */
export async function auditForService(
  db: Queryable,
  hsdsId: string,
  limit: number,
): Promise<AuditRow[] | null> {
  const [exists] = await db.query(`SELECT 1 FROM service WHERE id = $1`, [hsdsId]);
  if (!exists) return null;
  return db.query<AuditRow>(
    `SELECT id::text AS id, service_id, actor, actor_partner, at, version_from, version_to, changes
     FROM audit_log WHERE service_id = $1 ORDER BY id DESC LIMIT $2`,
    [hsdsId, limit],
  );
}

export type ConfidentialityOutcome =
  | { kind: "changed" | "unchanged"; confidential: boolean; services: number }
  | { kind: "not_found" };

/**
 * A partner admin hides or unhides one location, with the reason recorded. The change and its
 * audit row land together; the location_rederive trigger puts every service at the location back
 * on the change feed, so search re-derives their positions.
 */
export async function setLocationConfidential(
  db: Db,
  req: {
    locationId: string;
    confidential: boolean;
    reason: string;
    actor: string;
    actorPartner: string | null;
  },
): Promise<ConfidentialityOutcome> {
  return db.transaction(async (tx) => {
    const [loc] = await tx.query<{ confidential: boolean }>(
      `SELECT confidential FROM location WHERE id = $1 FOR UPDATE`,
      [req.locationId],
    );
    if (!loc) return { kind: "not_found" };
    const [{ n }] = (await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM service_at_location WHERE location_id = $1`,
      [req.locationId],
    )) as [{ n: number }];
    if (loc.confidential === req.confidential)
      return { kind: "unchanged", confidential: loc.confidential, services: n };
    await tx.query(`UPDATE location SET confidential = $2 WHERE id = $1`, [
      req.locationId,
      req.confidential,
    ]);
    await tx.query(
      `INSERT INTO location_audit (location_id, actor, actor_partner, confidential_from, confidential_to, reason)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [req.locationId, req.actor, req.actorPartner, loc.confidential, req.confidential, req.reason],
    );
    return { kind: "changed", confidential: req.confidential, services: n };
  });
}

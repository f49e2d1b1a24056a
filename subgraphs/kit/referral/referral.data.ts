// SQL for referrals; nothing else touches the referral tables.
import type { Db, Queryable } from "../db/db.ts";
import type { StoredStatus } from "./referral.wire.ts";

export interface ReferralRow {
  id: string;
  service_id: string;
  status: StoredStatus;
  version: number;
  urgency: string;
  needs: string[];
  referrer_sub: string;
  personal: string | null;
  plan_ref: string | null;
  plan_need: string | null;
  plan_service_ids: string[];
  created_at: Date;
  due_at: Date;
  acknowledged_at: Date | null;
  decided_at: Date | null;
  closed_at: Date | null;
  decline_reason: string | null;
  suggested_service_id: string | null;
  outcome: string | null;
  purged_at: Date | null;
}

export interface EventRow {
  id: string;
  referral_id: string;
  actor: string;
  actor_role: string;
  actor_partner: string | null;
  at: Date;
  status_from: StoredStatus | null;
  status_to: StoredStatus;
  version_from: number | null;
  version_to: number;
  note_sealed: string | null;
}

export interface ServiceForReferral {
  id: string;
  name: string;
  status: string;
  accepting_referrals: boolean;
  minimum_age: number | null;
  maximum_age: number | null;
  referral_response_hours: number | null;
  deleted_at: Date | null;
}

export async function serviceForReferral(
  db: Queryable,
  hsdsId: string,
): Promise<ServiceForReferral | null> {
  const rows = await db.query<ServiceForReferral>(
    `SELECT id, name, status, accepting_referrals, minimum_age, maximum_age, referral_response_hours, deleted_at
       FROM service WHERE id = $1`,
    [hsdsId],
  );
  return rows[0] ?? null;
}

export type NewReferral = Omit<
  ReferralRow,
  | "version"
  | "acknowledged_at"
  | "decided_at"
  | "closed_at"
  | "decline_reason"
  | "suggested_service_id"
  | "outcome"
  | "purged_at"
>;

export interface EventInput {
  actor: string;
  actorRole: string;
  actorPartner: string | null;
  at: Date;
  from: StoredStatus | null;
  to: StoredStatus;
  versionFrom: number | null;
  versionTo: number;
  noteSealed: string | null;
}

async function insertEvent(tx: Queryable, referralId: string, e: EventInput) {
  await tx.query(
    `INSERT INTO referral_event (referral_id, actor, actor_role, actor_partner, at, status_from, status_to, version_from, version_to, note_sealed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      referralId,
      e.actor,
      e.actorRole,
      e.actorPartner,
      e.at,
      e.from,
      e.to,
      e.versionFrom,
      e.versionTo,
      e.noteSealed,
    ],
  );
}

/**
 * Runs inside the transaction that writes a referral: the partner's notification (its outbox row)
 * lands with the change or not at all.
 */
export type Outbox = (tx: Queryable, row: ReferralRow) => Promise<void>;

export async function insertReferral(
  db: Db,
  r: NewReferral,
  event: EventInput,
  outbox?: Outbox,
): Promise<ReferralRow> {
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO referral (id, service_id, status, urgency, needs, referrer_sub, personal, plan_ref, plan_need, plan_service_ids, created_at, due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        r.id,
        r.service_id,
        r.status,
        r.urgency,
        r.needs,
        r.referrer_sub,
        r.personal,
        r.plan_ref,
        r.plan_need,
        r.plan_service_ids,
        r.created_at,
        r.due_at,
      ],
    );
    await insertEvent(tx, r.id, event);
    const row = (await tx.query<ReferralRow>(`SELECT * FROM referral WHERE id = $1`, [r.id]))[0]!;
    await outbox?.(tx, row);
    return row;
  });
}

export async function referralById(db: Queryable, id: string): Promise<ReferralRow | null> {
  return (await db.query<ReferralRow>(`SELECT * FROM referral WHERE id = $1`, [id]))[0] ?? null;
}

export async function eventsFor(db: Queryable, ids: string[]): Promise<Map<string, EventRow[]>> {
  const out = new Map<string, EventRow[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await db.query<EventRow>(
    `SELECT * FROM referral_event WHERE referral_id = ANY($1) ORDER BY id`,
    [ids],
  );
  for (const r of rows) out.get(r.referral_id)?.push(r);
  return out;
}

/** The inbox, newest first, keyset-paged on (created_at, id). */
export async function listInbox(
  db: Queryable,
  opts: {
    status: StoredStatus | null;
    overdue: boolean | null;
    now: Date;
    first: number;
    after: { at: Date; id: string } | null;
  },
): Promise<{ rows: ReferralRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (opts.status) where.push(`status = ${p(opts.status)}`);
  if (opts.overdue === true) where.push(`due_at < ${p(opts.now)}`);
  if (opts.overdue === false) where.push(`due_at >= ${p(opts.now)}`);
  const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const total = Number(
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM referral ${filter}`, params))[0]
      ?.n ?? 0,
  );
  const page = [...where];
  if (opts.after) page.push(`(created_at, id) < (${p(opts.after.at)}, ${p(opts.after.id)})`);
  const rows = await db.query<ReferralRow>(
    `SELECT * FROM referral ${page.length ? `WHERE ${page.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ${p(opts.first + 1)}`,
    params,
  );
  return { rows, total };
}

export async function listByReferrer(
  db: Queryable,
  sub: string,
  first: number,
): Promise<ReferralRow[]> {
  return db.query<ReferralRow>(
    `SELECT * FROM referral WHERE referrer_sub = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [sub, first],
  );
}

export interface TransitionWrite {
  id: string;
  expectedVersion: number;
  to: StoredStatus;
  set: Partial<
    Pick<
      ReferralRow,
      | "acknowledged_at"
      | "decided_at"
      | "closed_at"
      | "decline_reason"
      | "suggested_service_id"
      | "outcome"
    >
  >;
  event: Omit<EventInput, "versionFrom" | "versionTo" | "to">;
}

export type TransitionOutcome =
  | { kind: "ok"; row: ReferralRow }
  | { kind: "not_found" }
  | { kind: "conflict"; currentVersion: number };

/** Moves a referral only if it is still at expectedVersion; the audit entry lands with it. */
export async function writeTransition(
  db: Db,
  w: TransitionWrite,
  outbox?: Outbox,
): Promise<TransitionOutcome> {
  return db.transaction(async (tx) => {
    const sets = Object.entries(w.set);
    const params: unknown[] = [w.id, w.expectedVersion, w.to, ...sets.map(([, v]) => v)];
    const assign = sets.map(([k], i) => `, ${k} = $${i + 4}`).join("");
    const updated = await tx.query<ReferralRow>(
      `UPDATE referral SET status = $3, version = version + 1${assign} WHERE id = $1 AND version = $2 RETURNING *`,
      params,
    );
    const row = updated[0];
    if (!row) {
      const current = (
        await tx.query<{ version: number }>(`SELECT version FROM referral WHERE id = $1`, [w.id])
      )[0];
      return current
        ? { kind: "conflict", currentVersion: current.version }
        : { kind: "not_found" };
    }
    await insertEvent(tx, w.id, {
      ...w.event,
      to: w.to,
      versionFrom: w.expectedVersion,
      versionTo: row.version,
    });
    await outbox?.(tx, row);
    return { kind: "ok", row };
  });
}

export interface CountRow {
  service_id: string;
  sent: number;
  acknowledged: number;
  acknowledged_in_time: number;
  accepted: number;
  declined: number;
  overdue: number;
  closed: number;
}

/** Anonymous counts per service: no column that could identify a child is read. */
export async function countsPerService(
  db: Queryable,
  now: Date,
): Promise<{ counts: CountRow[]; reasons: { service_id: string; reason: string; n: number }[] }> {
  const counts = await db.query<CountRow>(
    `SELECT service_id,
            count(*)::int AS sent,
            count(acknowledged_at)::int AS acknowledged,
            count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND acknowledged_at <= due_at)::int AS acknowledged_in_time,
            count(*) FILTER (WHERE id IN (SELECT referral_id FROM referral_event WHERE status_to = 'ACCEPTED'))::int AS accepted,
            count(*) FILTER (WHERE decline_reason IS NOT NULL)::int AS declined,
            count(*) FILTER (WHERE status = 'NEW' AND due_at < $1)::int AS overdue,
            count(*) FILTER (WHERE status = 'CLOSED')::int AS closed
       FROM referral GROUP BY service_id ORDER BY service_id`,
    [now],
  );
  const reasons = await db.query<{ service_id: string; reason: string; n: number }>(
    `SELECT service_id, decline_reason AS reason, count(*)::int AS n FROM referral
      WHERE decline_reason IS NOT NULL GROUP BY service_id, decline_reason ORDER BY service_id, decline_reason`,
  );
  return { counts, reasons };
}

/**
 * Retention: closed referrals older than the cutoff lose the child's and family's personal data
 * (the sealed document, the notes, the plan reference). What stays is what a council must still
 * account for and holds nothing about the child: the status history (who moved it, when, from and
 * to), the outcome, the counts, and the referrer's own link (their subject id), so the
 * professional still sees in myReferrals that the referral happened and how it ended.
 */
export async function purgeClosedBefore(db: Db, cutoff: Date, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const purged = await tx.query<{ id: string }>(
      `UPDATE referral SET personal = NULL, plan_ref = NULL, purged_at = $2
        WHERE status = 'CLOSED' AND closed_at < $1 AND purged_at IS NULL RETURNING id`,
      [cutoff, now],
    );
    const ids = purged.map((r) => r.id);
    if (ids.length)
      await tx.query(`UPDATE referral_event SET note_sealed = NULL WHERE referral_id = ANY($1)`, [
        ids,
      ]);
    return ids.length;
  });
}

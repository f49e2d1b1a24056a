// A partner's referrals: validation that names the field at fault, the status machine with
// optimistic concurrency and an audit entry per move, the inbox, the referrer's own list, and
// anonymous counts. Access is decided here, in the partner that owns the data, from the verified
// claims; the directory that relays calls decides nothing.
import { randomBytes } from "node:crypto";
import type { Claims } from "../../../platform/claims.ts";
import { NEEDS, PARTNER_INFO, type PartnerId } from "../../../schema/vocabulary.ts";
import type { Db } from "../db/db.ts";
import { EMAIL } from "../hsds/validate.ts";
import { DEFAULT_REFERRAL_RESPONSE_HOURS, globalId, parseGlobalId } from "../service.map.ts";
import type { ReferralCipher } from "./referral.crypto.ts";
import type { DeliveryWire, ReferralWebhooks } from "./referral.webhooks.ts";
import {
  countsPerService,
  eventsFor,
  insertReferral,
  listByReferrer,
  listInbox,
  purgeClosedBefore,
  referralById,
  serviceForReferral,
  writeTransition,
  type EventRow,
  type Outbox,
  type ReferralRow,
  type TransitionWrite,
} from "./referral.data.ts";
import {
  DECLINE_REASONS,
  OUTCOMES,
  URGENCIES,
  type ChildWire,
  type ConsentWire,
  type CreateReferralWire,
  type ReferralPage,
  type ReferralErrorWire,
  type ReferralStatusCode,
  type ReferralWire,
  type ReferrerWire,
  type ServiceReferralCounts,
  type StoredStatus,
} from "./referral.wire.ts";

export const MAX_INBOX_PAGE = 100;
export const MAX_MY_REFERRALS = 100;
/** Most entries a referral's history may hold (the gateway's cost limit counts on it). */
export const MAX_HISTORY = 30;

export class ReferralError extends Error {
  override name = "ReferralError";
  constructor(readonly wire: ReferralErrorWire) {
    super(wire.message);
  }
}

const badInput = (field: string, message: string) =>
  new ReferralError({ code: "BAD_USER_INPUT", field, message: `${field}: ${message}` });
// Matching control characters is the point of this pattern.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// A UK postcode (GB and BT), spacing free: "NR2 4AB", "nr24ab", "BT1 5GS".
const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function text(field: string, value: unknown, max: number, required = true): string | null {
  if (value === null || value === undefined || (typeof value === "string" && value.trim() === "")) {
    if (required) throw badInput(field, "is required");
    return null;
  }
  if (typeof value !== "string") throw badInput(field, "must be text");
  const v = value.trim();
  if (CONTROL.test(v)) throw badInput(field, "must not contain control characters");
  if (v.length > max) throw badInput(field, `must be at most ${max} characters`);
  return v;
}

function calendarDate(field: string, value: unknown): string {
  const v = text(field, value, 10)!;
  const m = DATE.exec(v);
  const d = m ? new Date(`${v}T00:00:00Z`) : null;
  if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) {
    throw badInput(field, "must be a date, YYYY-MM-DD");
  }
  return v;
}

/** Whole years between a date of birth and today (UTC). */
export function ageOn(dateOfBirth: string, today: Date): number {
  const [y, m, d] = dateOfBirth.split("-").map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - y;
  const beforeBirthday =
    today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

export interface ReferralDeps {
  partner: PartnerId;
  db: Db;
  cipher: ReferralCipher;
  now: () => Date;
  /** Notifies the partner's webhook of new referrals and status changes. */
  webhooks?: ReferralWebhooks;
}

interface Personal {
  child: ChildWire;
  reason: string;
  consent: ConsentWire;
  referrer: ReferrerWire;
}

const isAdmin = (partner: PartnerId, claims: Claims) => claims.scopes.includes(`admin:${partner}`);
const isProfessional = (claims: Claims) =>
  claims.role !== "public" && claims.scopes.includes("professional");

function requireProfessional(claims: Claims) {
  if (claims.role === "public") {
    throw new ReferralError({
      code: "UNAUTHENTICATED",
      message: "Referrals are for signed-in professionals",
    });
  }
  if (!isProfessional(claims))
    throw new ReferralError({ code: "FORBIDDEN", message: "Referrals need the professional role" });
}

function requireAdmin(partner: PartnerId, claims: Claims) {
  if (claims.role === "public")
    throw new ReferralError({ code: "UNAUTHENTICATED", message: "Sign in as a partner admin" });
  if (!isAdmin(partner, claims)) {
    throw new ReferralError({
      code: "FORBIDDEN",
      message: `Only the ${partner} partner's admins work its referrals`,
    });
  }
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A reference a person can read out on the phone: "R-7KQ2-M9XD" (40 random bits). */
function newReference(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => CROCKFORD[b & 31]).join("");
  return `R-${chars.slice(0, 4)}-${chars.slice(4, 8)}`;
}

/** The effective status: a NEW referral past its due time is OVERDUE. */
export function effectiveStatus(
  row: Pick<ReferralRow, "status" | "due_at">,
  now: Date,
): ReferralStatusCode {
  return row.status === "NEW" && row.due_at.getTime() < now.getTime() ? "OVERDUE" : row.status;
}

export function createReferralService(deps: ReferralDeps) {
  const { partner, db, cipher } = deps;
  const responseHoursDefault =
    PARTNER_INFO[partner]?.referralResponseHours ?? DEFAULT_REFERRAL_RESPONSE_HOURS;

  function toWire(row: ReferralRow, events: EventRow[]): ReferralWire {
    const now = deps.now();
    const personal = row.personal ? cipher.open<Personal>(row.personal, row.id) : null;
    const status = effectiveStatus(row, now);
    return {
      id: globalId(partner, row.id),
      reference: row.id,
      partner,
      serviceId: globalId(partner, row.service_id),
      status,
      storedStatus: row.status,
      overdue: status === "OVERDUE",
      version: row.version,
      urgency: row.urgency,
      needs: row.needs,
      createdAt: row.created_at.toISOString(),
      dueBy: row.due_at.toISOString(),
      acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
      child: personal?.child ?? null,
      reason: personal?.reason ?? null,
      consent: personal?.consent ?? null,
      referrer: personal?.referrer ?? null,
      routePlan:
        row.plan_ref || row.plan_need || row.plan_service_ids.length
          ? { reference: row.plan_ref, need: row.plan_need, rankedServiceIds: row.plan_service_ids }
          : null,
      declineReason: row.decline_reason,
      suggestedAlternativeServiceId: row.suggested_service_id,
      outcome: row.outcome,
      purged: row.purged_at !== null,
      history: events.map((e) => ({
        at: e.at.toISOString(),
        actor: e.actor,
        actorRole: e.actor_role,
        actorPartner: e.actor_partner,
        from: e.status_from,
        to: e.status_to,
        versionFrom: e.version_from,
        versionTo: e.version_to,
        note: e.note_sealed ? cipher.open<string>(e.note_sealed, `${row.id}#note`) : null,
      })),
    };
  }

  async function withEvents(rows: ReferralRow[]): Promise<ReferralWire[]> {
    const events = await eventsFor(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toWire(r, events.get(r.id) ?? []));
  }

  const localId = (id: unknown): string => {
    const parsed = typeof id === "string" ? parseGlobalId(id) : null;
    if (!parsed || parsed.partner !== partner)
      throw badInput(
        "id",
        `must be one of the ${partner} partner's referral ids, "${partner}:R-…"`,
      );
    return parsed.hsdsId;
  };
  const notFound = () =>
    new ReferralError({
      code: "NOT_FOUND",
      field: "id",
      message: "No such referral, or it is not yours to see",
    });

  async function create(input: CreateReferralWire, claims: Claims): Promise<ReferralWire> {
    requireProfessional(claims);
    const now = deps.now();
    const parsed = typeof input?.serviceId === "string" ? parseGlobalId(input.serviceId) : null;
    if (!parsed || parsed.partner !== partner)
      throw badInput("input.serviceId", `is not one of the ${partner} partner's services`);
    const service = await serviceForReferral(db, parsed.hsdsId);
    if (!service || service.deleted_at) throw badInput("input.serviceId", "no such service");
    if (service.status !== "active" || !service.accepting_referrals) {
      throw badInput("input.serviceId", `${service.name} is not accepting referrals at the moment`);
    }
    // Consent first: without it nothing about the child may be sent at all.
    const c = input.consent;
    if (!c)
      throw badInput("input.consent", "the family's consent to share this referral is required");
    const consent: ConsentWire = {
      givenBy: text("input.consent.givenBy", c.givenBy, 200)!,
      givenAt: calendarDate("input.consent.givenAt", c.givenAt),
      sharing: text("input.consent.sharing", c.sharing, 1000)!,
    };
    if (consent.givenAt > now.toISOString().slice(0, 10))
      throw badInput("input.consent.givenAt", "cannot be in the future");
    const ch = input.child;
    if (!ch) throw badInput("input.child", "the child's details are required");
    const name = text("input.child.name", ch.name, 200)!;
    const dateOfBirth = calendarDate("input.child.dateOfBirth", ch.dateOfBirth);
    if (dateOfBirth > now.toISOString().slice(0, 10))
      throw badInput("input.child.dateOfBirth", "cannot be in the future");
    const postcodeRaw = text("input.child.postcode", ch.postcode, 10)!
      .toUpperCase()
      .replace(/\s+/g, " ");
    const pc = POSTCODE.exec(postcodeRaw.replace(" ", ""));
    if (!pc) throw badInput("input.child.postcode", "is not a UK postcode");
    const postcode = `${pc[1]} ${pc[2]}`;
    const age = ageOn(dateOfBirth, now);
    if (service.maximum_age !== null && age > service.maximum_age) {
      throw badInput(
        "input.child.dateOfBirth",
        `the child is ${age}; this service takes children up to ${service.maximum_age}`,
      );
    }
    if (service.minimum_age !== null && age < service.minimum_age) {
      throw badInput(
        "input.child.dateOfBirth",
        `the child is ${age}; this service takes children from ${service.minimum_age}`,
      );
    }
    const needs = input.needs ?? [];
    if (!Array.isArray(needs) || needs.length === 0)
      throw badInput("input.needs", "give at least one need");
    const known = new Set(NEEDS.map((n) => n.code));
    needs.forEach((n, i) => {
      if (!known.has(n)) throw badInput(`input.needs[${i}]`, "is not a need in the vocabulary");
    });
    const reason = text("input.reason", input.reason, 4000)!;
    const urgency = input.urgency ?? "ROUTINE";
    if (!(URGENCIES as readonly string[]).includes(urgency))
      throw badInput("input.urgency", `must be one of ${URGENCIES.join(", ")}`);
    const r = input.referrer;
    if (!r) throw badInput("input.referrer", "your contact details are required");
    const referrer: ReferrerWire = {
      name: text("input.referrer.name", r.name, 200)!,
      email: text("input.referrer.email", r.email, 254)!,
      phone: text("input.referrer.phone", r.phone, 40, false),
      organisation: text("input.referrer.organisation", r.organisation, 200, false),
    };
    if (!EMAIL.test(referrer.email))
      throw badInput("input.referrer.email", "is not an email address");
    const plan = input.routePlan ?? null;
    const planIds = plan?.rankedServiceIds ?? [];
    if (planIds.length > 50)
      throw badInput("input.routePlan.rankedServiceIds", "at most 50 services");
    planIds.forEach((id, i) => {
      if (typeof id !== "string" || !parseGlobalId(id))
        throw badInput(`input.routePlan.rankedServiceIds[${i}]`, "is not a service id");
    });
    if (plan?.need && !known.has(plan.need))
      throw badInput("input.routePlan.need", "is not a need in the vocabulary");

    const id = newReference();
    const hours = service.referral_response_hours ?? responseHoursDefault;
    const row = {
      id,
      service_id: service.id,
      status: "NEW" as const,
      urgency,
      needs: [...new Set(needs)],
      referrer_sub: claims.sub,
      personal: cipher.seal(
        { child: { name, dateOfBirth, postcode }, reason, consent, referrer } satisfies Personal,
        id,
      ),
      plan_ref: text("input.routePlan.reference", plan?.reference, 200, false),
      plan_need: plan?.need ?? null,
      plan_service_ids: planIds,
      created_at: now,
      due_at: new Date(now.getTime() + hours * 3600_000),
    };
    const stored = await insertReferral(
      db,
      row,
      {
        actor: claims.sub,
        actorRole: claims.role,
        actorPartner: claims.partner,
        at: now,
        from: null,
        to: "NEW",
        versionFrom: null,
        versionTo: 1,
        noteSealed: null,
      },
      outbox(null, "referral.created"),
    );
    deps.webhooks?.kick();
    return (await withEvents([stored]))[0]!;
  }

  /** The notification of a write, put in the outbox by the transaction that makes the write. */
  function outbox(
    previousStatus: StoredStatus | null,
    event: "referral.created" | "referral.status_changed",
  ): Outbox | undefined {
    const webhooks = deps.webhooks;
    if (!webhooks) return undefined;
    return (tx, row) =>
      webhooks.enqueueIn(tx, {
        event,
        referralId: globalId(partner, row.id),
        reference: row.id,
        serviceId: globalId(partner, row.service_id),
        status: effectiveStatus(row, deps.now()),
        previousStatus,
        version: row.version,
        at: deps.now().toISOString(),
      });
  }

  async function get(id: unknown, claims: Claims): Promise<ReferralWire> {
    requireProfessional(claims);
    const row = await referralById(db, localId(id));
    if (!row || (!isAdmin(partner, claims) && row.referrer_sub !== claims.sub)) throw notFound();
    return (await withEvents([row]))[0]!;
  }

  async function inbox(
    status: ReferralStatusCode | null,
    first: number,
    after: string | null,
    claims: Claims,
  ): Promise<ReferralPage> {
    requireAdmin(partner, claims);
    if (!Number.isInteger(first) || first < 1 || first > MAX_INBOX_PAGE)
      throw badInput("first", `must be 1–${MAX_INBOX_PAGE}`);
    let cursor: { at: Date; id: string } | null = null;
    if (after) {
      const [at, rid] = Buffer.from(after, "base64url").toString("utf8").split("|");
      const when = at ? new Date(at) : null;
      if (!when || Number.isNaN(when.getTime()) || !rid)
        throw badInput("after", "is not a cursor from this inbox");
      cursor = { at: when, id: rid };
    }
    const stored: StoredStatus | null = status === "OVERDUE" ? "NEW" : status;
    const overdue = status === "OVERDUE" ? true : status === "NEW" ? false : null;
    const { rows, total } = await listInbox(db, {
      status: stored,
      overdue,
      now: deps.now(),
      first,
      after: cursor,
    });
    const page = rows.slice(0, first);
    const last = page[page.length - 1];
    return {
      nodes: await withEvents(page),
      totalCount: total,
      hasNextPage: rows.length > first,
      endCursor: last
        ? Buffer.from(`${last.created_at.toISOString()}|${last.id}`).toString("base64url")
        : null,
    };
  }

  async function mine(first: number, claims: Claims): Promise<ReferralWire[]> {
    requireProfessional(claims);
    if (!Number.isInteger(first) || first < 1 || first > MAX_MY_REFERRALS)
      throw badInput("first", `must be 1–${MAX_MY_REFERRALS}`);
    return withEvents(await listByReferrer(db, claims.sub, first));
  }

  // Which moves a partner admin may make from each stored status.
  const ADMIN_MOVES: Record<StoredStatus, StoredStatus[]> = {
    NEW: ["ACKNOWLEDGED"],
    ACKNOWLEDGED: ["ACCEPTED", "DECLINED", "MORE_INFO_REQUESTED"],
    MORE_INFO_REQUESTED: ["ACCEPTED", "DECLINED"],
    ACCEPTED: ["CLOSED"],
    DECLINED: ["CLOSED"],
    CLOSED: [],
  };

  async function move(
    w: Omit<TransitionWrite, "event"> & { note: string | null },
    claims: Claims,
    from: StoredStatus,
  ) {
    const now = deps.now();
    const outcome = await writeTransition(
      db,
      {
        ...w,
        event: {
          actor: claims.sub,
          actorRole: claims.role,
          actorPartner: claims.partner,
          at: now,
          from,
          noteSealed: w.note ? cipher.seal(w.note, `${w.id}#note`) : null,
        },
      },
      outbox(from, "referral.status_changed"),
    );
    if (outcome.kind === "not_found") throw notFound();
    if (outcome.kind === "conflict") {
      throw new ReferralError({
        code: "CONFLICT",
        field: "expectedVersion",
        currentVersion: outcome.currentVersion,
        message: `The referral is at version ${outcome.currentVersion}, not ${w.expectedVersion}: someone else moved it since you read it. Read it again.`,
      });
    }
    deps.webhooks?.kick();
    return (await withEvents([outcome.row]))[0]!;
  }

  const checkVersion = (v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1)
      throw badInput(
        "expectedVersion",
        "must be the referral's current version (a whole number from 1)",
      );
    return v as number;
  };

  async function transition(
    args: {
      id: unknown;
      expectedVersion: unknown;
      to: unknown;
      declineReason?: unknown;
      suggestedAlternativeServiceId?: unknown;
      note?: unknown;
      outcome?: unknown;
    },
    claims: Claims,
  ): Promise<ReferralWire> {
    requireAdmin(partner, claims);
    const id = localId(args.id);
    const expectedVersion = checkVersion(args.expectedVersion);
    const row = await referralById(db, id);
    if (!row) throw notFound();
    const to = args.to as StoredStatus;
    if (!ADMIN_MOVES[row.status].includes(to)) {
      const allowed = ADMIN_MOVES[row.status];
      throw badInput(
        "input.status",
        `a ${row.status} referral can move to ${allowed.length ? allowed.join(" or ") : "nothing (it is closed)"}, not ${String(args.to)}`,
      );
    }
    const note = text("input.note", args.note, 4000, false);
    // Requests for more information go back and forth; past a point, close it and refer again.
    if (
      (await eventsFor(db, [id])).get(id)!.length >= MAX_HISTORY - 4 &&
      to === "MORE_INFO_REQUESTED"
    ) {
      throw badInput(
        "input.status",
        "this referral has been back and forth too often; close it and send a new one",
      );
    }
    const now = deps.now();
    const set: TransitionWrite["set"] = {};
    if (to === "ACKNOWLEDGED") set.acknowledged_at = now;
    if (to === "ACCEPTED") set.decided_at = now;
    if (to === "DECLINED") {
      const reason = args.declineReason;
      if (!reason || !(DECLINE_REASONS as readonly string[]).includes(reason as string)) {
        throw badInput("input.declineReason", `say why, one of ${DECLINE_REASONS.join(", ")}`);
      }
      set.decline_reason = reason as string;
      set.decided_at = now;
      const alt = args.suggestedAlternativeServiceId;
      if (alt !== undefined && alt !== null) {
        if (typeof alt !== "string" || !parseGlobalId(alt))
          throw badInput("input.suggestedAlternativeServiceId", "is not a service id");
        set.suggested_service_id = alt;
      }
    }
    if (to === "MORE_INFO_REQUESTED" && !note)
      throw badInput("input.note", "say what you need to know");
    if (to === "CLOSED") {
      const outcome = args.outcome;
      if (!outcome || !(OUTCOMES as readonly string[]).includes(outcome as string)) {
        throw badInput("input.outcome", `give the outcome, one of ${OUTCOMES.join(", ")}`);
      }
      set.outcome = outcome as string;
      set.closed_at = now;
    }
    return move({ id, expectedVersion, to, set, note }, claims, row.status);
  }

  /** The referrer answers a request for more information; the referral goes back to ACKNOWLEDGED. */
  async function provideInfo(
    args: { id: unknown; expectedVersion: unknown; information: unknown },
    claims: Claims,
  ): Promise<ReferralWire> {
    requireProfessional(claims);
    const id = localId(args.id);
    const expectedVersion = checkVersion(args.expectedVersion);
    const row = await referralById(db, id);
    if (!row || row.referrer_sub !== claims.sub) throw notFound();
    if (row.status !== "MORE_INFO_REQUESTED")
      throw badInput("id", `the referral is ${row.status}; no information was asked for`);
    const information = text("information", args.information, 4000)!;
    return move(
      { id, expectedVersion, to: "ACKNOWLEDGED", set: {}, note: information },
      claims,
      row.status,
    );
  }

  async function health(claims: Claims): Promise<ServiceReferralCounts[]> {
    if (claims.role === "public")
      throw new ReferralError({
        code: "UNAUTHENTICATED",
        message: "Sign in to see referral health",
      });
    const { counts, reasons } = await countsPerService(db, deps.now());
    return counts.map((c) => ({
      serviceId: globalId(partner, c.service_id),
      sent: c.sent,
      acknowledged: c.acknowledged,
      acknowledgedInTime: c.acknowledged_in_time,
      accepted: c.accepted,
      declined: c.declined,
      declineReasons: reasons
        .filter((r) => r.service_id === c.service_id)
        .map((r) => ({ reason: r.reason, count: r.n })),
      overdue: c.overdue,
      closed: c.closed,
    }));
  }

  /** Purges personal data from referrals closed more than retentionDays ago. */
  async function purge(retentionDays: number): Promise<number> {
    const now = deps.now();
    return purgeClosedBefore(db, new Date(now.getTime() - retentionDays * 86_400_000), now);
  }

  async function registerWebhook(
    url: unknown,
    claims: Claims,
  ): Promise<{ url: string; secret: string; partner: string }> {
    requireAdmin(partner, claims);
    const v = text("url", url, 2048)!;
    let u: URL | null;
    try {
      u = new URL(v);
    } catch {
      u = null;
    }
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:"))
      throw badInput("url", "must be an http(s) URL");
    if (!deps.webhooks)
      throw new ReferralError({
        code: "REFERRALS_UNAVAILABLE",
        message: "webhooks are not running",
      });
    return { ...(await deps.webhooks.register(v, claims.sub)), partner };
  }

  async function webhookDeliveries(first: unknown, claims: Claims): Promise<DeliveryWire[]> {
    requireAdmin(partner, claims);
    if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > 200)
      throw badInput("first", "must be 1–200");
    return deps.webhooks ? deps.webhooks.deliveries(first as number) : [];
  }

  return {
    create,
    get,
    inbox,
    mine,
    transition,
    provideInfo,
    health,
    purge,
    registerWebhook,
    webhookDeliveries,
  };
}

export type ReferralService = ReturnType<typeof createReferralService>;

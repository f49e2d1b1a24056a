// Webhooks for a partner's referrals: registration (the secret is shown once and kept sealed), a
// transactional outbox (a notification row is written in the same transaction as the new referral
// or status change it announces, see referral.data.ts), and a dispatcher that delivers from it:
// each row POSTed signed (x-wayfinder-signature: sha256=<HMAC-SHA256 of the body, hex>), retried
// with exponential backoff, every attempt recorded in the delivery log. Delivery is at least once:
// a row keeps its delivery id (x-wayfinder-delivery, and deliveryId in the body) across retries and
// restarts, and receivers dedupe on it. A dispatcher claims one row at a time with FOR UPDATE SKIP
// LOCKED and a lease (claimed_until), so replicas sharing a PostgreSQL database never send a row at
// the same time, and a row held by a replica that died is sent again once its lease runs out.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { Db, Queryable } from "../db/db.ts";
import type { ReferralCipher } from "./referral.crypto.ts";
import { log } from "../../../platform/log.ts";
import type { PartnerId } from "../../../schema/vocabulary.ts";

export const SIGNATURE_HEADER = "x-wayfinder-signature";
export const EVENT_HEADER = "x-wayfinder-event";
export const DELIVERY_HEADER = "x-wayfinder-delivery";
export const MAX_ATTEMPTS = 8;
/** Most rows one dispatch run sends before it yields (the poll picks up the rest). */
const RUN_LIMIT = 100;

export interface WebhookEvent {
  event: "referral.created" | "referral.status_changed";
  referralId: string;
  reference: string;
  serviceId: string;
  status: string;
  previousStatus: string | null;
  version: number;
  at: string;
}

export interface DeliveryWire {
  id: string;
  event: string;
  referralId: string;
  url: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

export const sign = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;

export interface WebhookOptions {
  partner: PartnerId;
  db: Db;
  cipher: ReferralCipher;
  now: () => Date;
  /** First retry after this long, doubling each time (default 30 s). */
  retryBaseMs?: number;
  timeoutMs?: number;
  /**
   * How long a claimed row is this dispatcher's before another may take it (default: the request
   * timeout + 30 s). Only a dispatcher that died holds a row that long.
   */
  leaseMs?: number;
  /** Names this dispatcher in claimed_by (default: partner, pid and a random tag). */
  instance?: string;
}

interface Claimed {
  id: string;
  delivery_id: string;
  url: string;
  body: string;
  event: string;
  attempts: number;
}

export function createWebhooks(opts: WebhookOptions) {
  const { db, cipher, partner } = opts;
  const base = opts.retryBaseMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const leaseMs = opts.leaseMs ?? timeoutMs + 30_000;
  const me = opts.instance ?? `${partner}-${process.pid}-${randomBytes(4).toString("hex")}`;
  let running: Promise<void> | null = null;
  let again = false;
  // Not sending until start(): a process that only writes (or a test) leaves its rows to a dispatcher.
  let started = false;
  let closing = false;
  let timer: NodeJS.Timeout | null = null;

  async function register(url: string, actor: string): Promise<{ url: string; secret: string }> {
    const secret = randomBytes(32).toString("hex");
    await db.query(
      `INSERT INTO referral_webhook (partner, url, secret_sealed, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (partner) DO UPDATE SET url = EXCLUDED.url, secret_sealed = EXCLUDED.secret_sealed, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at`,
      [partner, url, cipher.seal(secret, `webhook:${partner}`), actor, opts.now()],
    );
    return { url, secret };
  }

  /**
   * Writes the event's outbox row inside the caller's transaction (the one that writes the
   * referral), when the partner has a webhook. Call kick() once that transaction has committed.
   */
  async function enqueueIn(tx: Queryable, e: WebhookEvent): Promise<void> {
    const hook = (
      await tx.query<{ url: string }>(`SELECT url FROM referral_webhook WHERE partner = $1`, [
        partner,
      ])
    )[0];
    if (!hook) return;
    const deliveryId = randomUUID();
    await tx.query(
      `INSERT INTO referral_webhook_delivery (delivery_id, event, referral_id, url, body, state, created_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)`,
      [
        deliveryId,
        e.event,
        e.reference,
        hook.url,
        JSON.stringify({ deliveryId, partner, ...e }),
        opts.now(),
      ],
    );
  }

  /**
   * Takes the oldest due row that no live dispatcher holds. The delivery log changes only when an
   * attempt ends, except that an attempt whose dispatcher died (a row taken over once its lease ran
   * out) is counted here.
   */
  async function claim(): Promise<(Claimed & { at: Date }) | null> {
    const at = opts.now();
    const rows = await db.query<Claimed>(
      `UPDATE referral_webhook_delivery
          SET claimed_by = $1, claimed_until = $2,
              attempts = attempts + CASE WHEN claimed_by IS NULL THEN 0 ELSE 1 END
        WHERE id = (SELECT id FROM referral_webhook_delivery
                     WHERE state = 'pending' AND next_attempt_at <= $3
                       AND (claimed_until IS NULL OR claimed_until <= $3)
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, delivery_id, url, body, event, attempts`,
      [me, new Date(at.getTime() + leaseMs), at],
    );
    return rows[0] ? { ...rows[0], at } : null;
  }

  async function attempt(d: Claimed & { at: Date }, secret: string) {
    const n = d.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: sign(secret, d.body),
          [EVENT_HEADER]: d.event,
          [DELIVERY_HEADER]: d.delivery_id,
        },
        body: d.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `answered ${res.status}`;
    } catch (err) {
      const name = (err as { name?: string }).name;
      error = name === "TimeoutError" || name === "AbortError" ? "timed out" : "unreachable";
    }
    if (!error) {
      // Delivered wins even if our lease ran out meanwhile: whoever took the row over finds it
      // delivered and records nothing over it.
      await db.query(
        `UPDATE referral_webhook_delivery SET state = 'delivered', attempts = GREATEST(attempts, $2), last_status = $3,
                last_error = NULL, last_attempt_at = $4, delivered_at = $5, next_attempt_at = NULL,
                claimed_by = NULL, claimed_until = NULL
          WHERE id = $1 AND state = 'pending'`,
        [d.id, n, status, d.at, opts.now()],
      );
      return;
    }
    const giveUp = n >= MAX_ATTEMPTS;
    const next = giveUp ? null : new Date(d.at.getTime() + base * 2 ** (n - 1));
    await db.query(
      `UPDATE referral_webhook_delivery SET state = $2, attempts = $3, last_status = $4, last_error = $5,
              last_attempt_at = $6, next_attempt_at = $7, claimed_by = NULL, claimed_until = NULL
        WHERE id = $1 AND state = 'pending' AND claimed_by = $8`,
      [d.id, giveUp ? "failed" : "pending", n, status, error, d.at, next, me],
    );
    if (giveUp)
      log("warn", "referral_webhook_failed", {
        partner,
        delivery: d.delivery_id,
        attempts: n,
      });
  }

  /** Sends every row that is due, one claimed row at a time. */
  async function runDue(): Promise<void> {
    const hook = (
      await db.query<{ secret_sealed: string }>(
        `SELECT secret_sealed FROM referral_webhook WHERE partner = $1`,
        [partner],
      )
    )[0];
    if (!hook) return;
    const secret = cipher.open<string>(hook.secret_sealed, `webhook:${partner}`);
    for (let i = 0; i < RUN_LIMIT && !closing; i++) {
      const d = await claim();
      if (!d) return;
      await attempt(d, secret);
    }
  }

  /** Sends what is due now; a kick during a run makes the run go round once more. */
  function kick() {
    if (!started || closing) return;
    if (running) {
      again = true;
      return;
    }
    again = false;
    running = runDue()
      .catch((err) =>
        log("error", "referral_webhook_dispatch_failed", { partner, error: String(err) }),
      )
      .finally(() => {
        running = null;
        if (again) kick();
      });
  }

  /**
   * After a restart: an embedded (PGlite) database has one process at a time (its lock file), so
   * any claim in it was left by this partner's previous process, killed mid-delivery, and is
   * released at once. On PostgreSQL another replica may still hold its claims; they run out.
   */
  async function resume(): Promise<number> {
    if (db.kind !== "pglite") return 0;
    const released = await db.query<{ id: string }>(
      `UPDATE referral_webhook_delivery SET claimed_by = NULL, claimed_until = NULL,
              attempts = attempts + 1, last_error = 'interrupted'
        WHERE state = 'pending' AND claimed_by IS NOT NULL RETURNING id`,
    );
    return released.length;
  }

  async function deliveries(first: number): Promise<DeliveryWire[]> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row, mapped field by field below
    const rows = await db.query<Record<string, any>>(
      `SELECT * FROM referral_webhook_delivery ORDER BY id DESC LIMIT $1`,
      [first],
    );
    return rows.map((r) => ({
      id: r.delivery_id,
      event: r.event,
      referralId: `${partner}:${r.referral_id}`,
      url: r.url,
      state: r.state.toUpperCase(),
      attempts: r.attempts,
      lastStatus: r.last_status,
      lastError: r.last_error,
      createdAt: new Date(r.created_at).toISOString(),
      lastAttemptAt: r.last_attempt_at ? new Date(r.last_attempt_at).toISOString() : null,
      nextAttemptAt: r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
      deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
    }));
  }

  return {
    instance: me,
    register,
    enqueueIn,
    kick,
    runDue,
    resume,
    deliveries,
    /**
     * Resumes what a previous process left undelivered, then polls for due rows (retries, and rows
     * another replica wrote); a new event is sent at once through kick().
     */
    async start(intervalMs = Math.max(20, Math.min(1000, base / 4))) {
      const released = await resume();
      started = true;
      closing = false;
      if (released) log("info", "referral_webhook_resumed", { partner, released });
      timer = setInterval(kick, intervalMs);
      timer.unref();
      kick();
    },
    async stop() {
      closing = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type ReferralWebhooks = ReturnType<typeof createWebhooks>;

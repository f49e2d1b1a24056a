// Webhooks for a partner's referrals: registration (the secret is shown once and kept sealed),
// an event queued for every new referral and status change, and a dispatcher that POSTs each one
// signed (x-wayfinder-signature: sha256=<HMAC-SHA256 of the body, hex>), retrying failures with
// exponential backoff and recording every attempt in the delivery log.
import { createHmac, randomBytes } from "node:crypto";
import type { Db } from "../db/db.ts";
import type { ReferralCipher } from "./referral.crypto.ts";
import { log } from "../../../platform/log.ts";
import type { PartnerId } from "../../../schema/vocabulary.ts";

export const SIGNATURE_HEADER = "x-wayfinder-signature";
export const EVENT_HEADER = "x-wayfinder-event";
export const DELIVERY_HEADER = "x-wayfinder-delivery";
export const MAX_ATTEMPTS = 8;

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
}

export function createWebhooks(opts: WebhookOptions) {
  const { db, cipher, partner } = opts;
  const base = opts.retryBaseMs ?? 30_000;
  let running: Promise<void> | null = null;
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

  async function enqueue(e: WebhookEvent): Promise<void> {
    const hook = (
      await db.query<{ url: string }>(`SELECT url FROM referral_webhook WHERE partner = $1`, [
        partner,
      ])
    )[0];
    if (!hook) return;
    const now = opts.now();
    await db.query(
      `INSERT INTO referral_webhook_delivery (event, referral_id, url, body, state, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5)`,
      [e.event, e.reference, hook.url, JSON.stringify({ partner, ...e }), now],
    );
    kick();
  }

  async function attempt(
    d: { id: string; url: string; body: string; event: string; attempts: number },
    secret: string,
  ) {
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
          [DELIVERY_HEADER]: String(d.id),
        },
        body: d.body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `answered ${res.status}`;
    } catch (err) {
      const name = (err as { name?: string }).name;
      error = name === "TimeoutError" || name === "AbortError" ? "timed out" : "unreachable";
    }
    const now = opts.now();
    const attempts = d.attempts + 1;
    if (!error) {
      await db.query(
        `UPDATE referral_webhook_delivery SET state = 'delivered', attempts = $2, last_status = $3, last_error = NULL, delivered_at = $4, last_attempt_at = $4, next_attempt_at = NULL WHERE id = $1`,
        [d.id, attempts, status, now],
      );
      return;
    }
    const giveUp = attempts >= MAX_ATTEMPTS;
    const next = giveUp ? null : new Date(now.getTime() + base * 2 ** (attempts - 1));
    await db.query(
      `UPDATE referral_webhook_delivery SET state = $2, attempts = $3, last_status = $4, last_error = $5, next_attempt_at = $6, last_attempt_at = $7 WHERE id = $1`,
      [d.id, giveUp ? "failed" : "pending", attempts, status, error, next, now],
    );
    if (giveUp)
      log("warn", "referral_webhook_failed", { partner, delivery: Number(d.id), attempts });
  }

  /** Sends every delivery that is due. */
  async function runDue(): Promise<void> {
    const hook = (
      await db.query<{ secret_sealed: string }>(
        `SELECT secret_sealed FROM referral_webhook WHERE partner = $1`,
        [partner],
      )
    )[0];
    if (!hook) return;
    const secret = cipher.open<string>(hook.secret_sealed, `webhook:${partner}`);
    const due = await db.query<{
      id: string;
      url: string;
      body: string;
      event: string;
      attempts: number;
    }>(
      `SELECT id, url, body, event, attempts FROM referral_webhook_delivery WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT 50`,
      [opts.now()],
    );
    for (const d of due) await attempt(d, secret);
  }

  function kick() {
    if (running) return;
    running = runDue()
      .catch((err) =>
        log("error", "referral_webhook_dispatch_failed", { partner, error: String(err) }),
      )
      .finally(() => {
        running = null;
      });
  }

  async function deliveries(first: number): Promise<DeliveryWire[]> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row, mapped field by field below
    const rows = await db.query<Record<string, any>>(
      `SELECT * FROM referral_webhook_delivery ORDER BY id DESC LIMIT $1`,
      [first],
    );
    return rows.map((r) => ({
      id: String(r.id),
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
    register,
    enqueue,
    runDue,
    deliveries,
    /** Polls for due retries (the first attempt is sent at once). */
    start(intervalMs = Math.max(20, Math.min(1000, base / 4))) {
      timer = setInterval(kick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type ReferralWebhooks = ReturnType<typeof createWebhooks>;

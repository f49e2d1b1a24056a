// Referral notifications are a transactional outbox: the outbox row is written in the transaction
// that writes the referral or its status change (PGlite and PostgreSQL), a partner process killed
// with SIGKILL after the commit and before delivery sends the notification once restarted (at
// least once, under a delivery id the receiver dedupes on), and two dispatchers on one PostgreSQL
// database (two replicas) never send a row at the same time. Every receiver runs on 127.0.0.1.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { createReferralCipher } from "../subgraphs/kit/referral/referral.crypto.ts";
import { createReferralService } from "../subgraphs/kit/referral/referral.service.ts";
import { createWebhooks } from "../subgraphs/kit/referral/referral.webhooks.ts";
import {
  callPartnerReferrals,
  type ReferralWire,
} from "../subgraphs/kit/referral/referral.wire.ts";
import { migrationDirs as councilMigrations } from "../subgraphs/council/server.ts";
import { DEV_INTERNAL_SECRET, DEV_REFERRAL_KEY } from "../platform/config.ts";
import { scopesFor, type Claims } from "../platform/claims.ts";
import { DATASET } from "./fixtures/dataset.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import { dropSchemaOf, freshSchemaUrl, hasPostgres } from "./helpers/postgres.ts";
import { eventually } from "./helpers/stack.ts";
import { referralInput } from "./helpers/referrals.ts";
import { ROOT } from "./helpers/processes.ts";

const dan: Claims = {
  sub: "dan@school.example",
  role: "professional",
  partner: null,
  scopes: scopesFor("professional", null),
};
const alice: Claims = {
  sub: "alice@norfolk.example",
  role: "partner-admin",
  partner: "council",
  scopes: scopesFor("partner-admin", "council"),
};

interface Hit {
  delivery: string;
  body: string;
  signature: string;
  answered: boolean;
}

/**
 * A webhook receiver on 127.0.0.1. `hold` decides, per request, whether it is left unanswered
 * (a receiver that is slow, or a sender that dies before the answer): held requests wait until
 * release() answers them with the given status.
 */
async function startReceiver(hold: (hit: Hit, inFlight: number) => boolean = () => false) {
  const hits: Hit[] = [];
  const held: { hit: Hit; res: http.ServerResponse }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const hit: Hit = {
      delivery: String(req.headers["x-wayfinder-delivery"] ?? ""),
      body,
      signature: String(req.headers["x-wayfinder-signature"] ?? ""),
      answered: false,
    };
    hits.push(hit);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => inFlight--);
    if (hold(hit, inFlight)) {
      held.push({ hit, res });
      return;
    }
    hit.answered = true;
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    hits,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    release(status = 204) {
      for (const { hit, res } of held.splice(0)) {
        hit.answered = status < 300;
        if (!res.destroyed) res.writeHead(status).end();
      }
    },
    /** The notifications a receiver that dedupes on the delivery id has taken in. */
    accepted() {
      return new Map(hits.filter((h) => h.answered).map((h) => [h.delivery, h.body]));
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function councilDb(kind: "pglite" | "postgres"): Promise<{ db: Db; url?: string }> {
  const url = kind === "postgres" ? freshSchemaUrl("outbox") : undefined;
  const db = url ? await openDb({ url }) : await openTestPglite();
  await importHsds(db, validateHsds(DATASET.council));
  return { db, url };
}

const count = async (db: Db, table: string) =>
  Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n);

const kinds = (["pglite", "postgres"] as const).filter((k) => k === "pglite" || hasPostgres);

describe.each(kinds)("referral outbox on %s", (kind) => {
  it("writes a notification with its referral or status change, or neither", async () => {
    const { db, url } = await councilDb(kind);
    const receiver = await startReceiver();
    const cipher = createReferralCipher(DEV_REFERRAL_KEY);
    const now = () => new Date();
    const webhooks = createWebhooks({ partner: "council", db, cipher, now });
    const referrals = createReferralService({ partner: "council", db, cipher, now, webhooks });
    try {
      const { secret } = await webhooks.register(receiver.url, alice.sub);
      // The database refuses the outbox row (a fault injected in the real database): the whole
      // write must go with it.
      const breakOutbox = async () => {
        await db.query(`CREATE OR REPLACE FUNCTION outbox_down() RETURNS trigger AS $$
          BEGIN RAISE EXCEPTION 'outbox down'; END $$ LANGUAGE plpgsql`);
        await db.query(`CREATE TRIGGER outbox_down BEFORE INSERT ON referral_webhook_delivery
          FOR EACH ROW EXECUTE FUNCTION outbox_down()`);
      };
      const mendOutbox = () => db.query(`DROP TRIGGER outbox_down ON referral_webhook_delivery`);

      await breakOutbox();
      await expect(referrals.create(referralInput(new Date()), dan)).rejects.toThrow(/outbox down/);
      expect(await count(db, "referral")).toBe(0);
      expect(await count(db, "referral_event")).toBe(0);
      expect(await count(db, "referral_webhook_delivery")).toBe(0);

      await mendOutbox();
      const created = await referrals.create(referralInput(new Date()), dan);
      expect(await count(db, "referral_webhook_delivery")).toBe(1);

      await breakOutbox();
      await expect(
        referrals.transition({ id: created.id, expectedVersion: 1, to: "ACKNOWLEDGED" }, alice),
      ).rejects.toThrow(/outbox down/);
      const still = await referrals.get(created.id, alice);
      expect([still.status, still.version, still.history.length]).toEqual(["NEW", 1, 1]);
      expect(await count(db, "referral_webhook_delivery")).toBe(1);

      await mendOutbox();
      await referrals.transition({ id: created.id, expectedVersion: 1, to: "ACKNOWLEDGED" }, alice);
      // A move refused for its version writes no notification either.
      await expect(
        referrals.transition({ id: created.id, expectedVersion: 1, to: "ACCEPTED" }, alice),
      ).rejects.toMatchObject({ wire: { code: "CONFLICT" } });
      const rows = await db.query<{ delivery_id: string; event: string; body: string }>(
        `SELECT delivery_id, event, body FROM referral_webhook_delivery ORDER BY id`,
      );
      expect(rows.map((r) => r.event)).toEqual(["referral.created", "referral.status_changed"]);

      // The dispatcher sends what the outbox holds, under the row's delivery id (header and body).
      await webhooks.runDue();
      expect(receiver.hits.map((h) => h.delivery)).toEqual(rows.map((r) => r.delivery_id));
      for (const [i, hit] of receiver.hits.entries()) {
        expect(hit.body).toBe(rows[i]!.body);
        expect(JSON.parse(hit.body)).toMatchObject({
          deliveryId: hit.delivery,
          referralId: created.id,
          version: i + 1,
        });
        expect(hit.signature).toBe(
          `sha256=${createHmac("sha256", secret).update(hit.body).digest("hex")}`,
        );
      }
      expect((await webhooks.deliveries(10)).map((d) => [d.id, d.state])).toEqual(
        rows.map((r) => [r.delivery_id, "DELIVERED"]).reverse(),
      );
    } finally {
      await webhooks.stop();
      await receiver.close();
      await db.close();
      if (url) await dropSchemaOf(url);
    }
  });
});

describe.skipIf(!hasPostgres)("referral outbox with two dispatchers on PostgreSQL", () => {
  it("never sends a row from both replicas at once, and a row whose replica died is sent by the other once its lease runs out", async () => {
    const url = freshSchemaUrl("outbox2");
    const db1 = await openDb({ url });
    await importHsds(db1, validateHsds(DATASET.council));
    const db2 = await openDb({ url });
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);
    const cipher = createReferralCipher(DEV_REFERRAL_KEY);
    // Held requests must not time out on their own: only the test decides when they end.
    const opts = { partner: "council" as const, cipher, now, timeoutMs: 120_000 };
    const replica1 = createWebhooks({ ...opts, db: db1, instance: "replica-1" });
    const replica2 = createWebhooks({ ...opts, db: db2, instance: "replica-2" });
    const referrals = createReferralService({
      partner: "council",
      db: db1,
      cipher,
      now,
      webhooks: replica1,
    });
    // The first request waits until a second one is in flight: both replicas send at the same time.
    let together = false;
    const receiver = await startReceiver((_hit, inFlight) => {
      if (inFlight >= 2) together = true;
      return !together;
    });
    const release = setInterval(() => together && receiver.release(), 10);
    try {
      await replica1.register(receiver.url, alice.sub);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await referrals.create(referralInput(now()), dan)).id);
      await Promise.all([replica1.runDue(), replica2.runDue()]);
      expect(receiver.maxInFlight).toBeGreaterThanOrEqual(2);
      const sent = receiver.hits.map((h) => h.delivery);
      expect(new Set(sent).size).toBe(12);
      expect(sent).toHaveLength(12);
      const rows = await db1.query<{ state: string; attempts: number; referral_id: string }>(
        `SELECT state, attempts, referral_id FROM referral_webhook_delivery ORDER BY id`,
      );
      expect(rows.map((r) => [r.state, r.attempts])).toEqual(ids.map(() => ["delivered", 1]));
    } finally {
      clearInterval(release);
      await receiver.close();
    }

    // Replica 1 claims a row and hangs mid-request (as if it had died); replica 2 leaves the row
    // alone while the lease holds, takes it over once the lease has run out, and delivers it.
    let holdNext = true;
    const receiver2 = await startReceiver(() => {
      const hold = holdNext;
      holdNext = false;
      return hold;
    });
    try {
      await replica1.register(receiver2.url, alice.sub);
      const created = await referrals.create(referralInput(now()), dan);
      const stuck = replica1.runDue();
      await eventually(async () => expect(receiver2.hits).toHaveLength(1), 60_000);
      await replica2.runDue();
      expect(receiver2.hits).toHaveLength(1);
      offsetMs += 200_000;
      await replica2.runDue();
      expect(receiver2.hits).toHaveLength(2);
      expect(receiver2.hits[1]!.delivery).toBe(receiver2.hits[0]!.delivery);
      // Replica 1's request fails late: it no longer holds the row and records nothing over it.
      receiver2.release(500);
      await stuck;
      const row = (
        await db1.query<{ state: string; attempts: number; claimed_by: string | null }>(
          `SELECT state, attempts, claimed_by FROM referral_webhook_delivery WHERE referral_id = $1`,
          [created.reference],
        )
      )[0]!;
      expect(row).toEqual({ state: "delivered", attempts: 2, claimed_by: null });
      expect([...receiver2.accepted().keys()]).toEqual([receiver2.hits[0]!.delivery]);
    } finally {
      await receiver2.close();
      await db1.close();
      await db2.close();
      await dropSchemaOf(url);
    }
  });
});

describe("a partner process killed after the commit, before delivery", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "wayfinder-outbox-"));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm run start:subgraph -- council` as operators run it (file-backed PGlite under DATA_DIR). */
  function startCouncil(): Promise<{ child: ChildProcess; url: string }> {
    const child = spawn(
      process.execPath,
      ["scripts/launch.mjs", "scripts/start-subgraph.ts", "council"],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          DATA_DIR: dataDir,
          COUNCIL_PORT: "0",
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = "";
      // A deadline for a hung start only, generous for a loaded machine.
      const timer = setTimeout(() => reject(new Error(`no ready line:\n${out}`)), 240_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /ready at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ child, url: m[1]! });
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
    });
  }

  async function op<T>(url: string, claims: Claims, body: Record<string, unknown>): Promise<T> {
    const answer = await callPartnerReferrals<T>({
      partner: "council",
      url,
      claims,
      secret: DEV_INTERNAL_SECRET,
      op: body as never,
      timeoutMs: 120_000,
    });
    if (!answer.ok) throw new Error(JSON.stringify(answer.error));
    return answer.result;
  }

  it("sends each committed notification once restarted, under the same delivery id", async () => {
    // The council's database as `npm run import` leaves it.
    const seed = await openDb({
      dataDir: path.join(dataDir, "council"),
      migrationDirs: councilMigrations,
    });
    await importHsds(seed, validateHsds(DATASET.council));
    await seed.close();

    // Until the partner is killed the receiver answers nothing: the first notification is in
    // flight, the second committed behind it, neither acknowledged.
    let answering = false;
    const receiver = await startReceiver(() => !answering);
    try {
      const first = await startCouncil();
      const { secret } = await op<{ secret: string }>(first.url, alice, {
        op: "registerWebhook",
        url: receiver.url,
      });
      const a = await op<ReferralWire>(first.url, dan, {
        op: "create",
        input: referralInput(new Date()),
      });
      await eventually(async () => expect(receiver.hits.length).toBeGreaterThanOrEqual(1));
      const b = await op<ReferralWire>(first.url, dan, {
        op: "create",
        input: referralInput(new Date()),
      });
      const exited = new Promise((r) => first.child.once("exit", r));
      first.child.kill("SIGKILL");
      await exited;
      expect(receiver.accepted().size).toBe(0);

      // What the killed process left: both notifications committed, neither delivered.
      const left = await openDb({
        dataDir: path.join(dataDir, "council"),
        migrationDirs: councilMigrations,
      });
      const outbox = await left.query<{ delivery_id: string; referral_id: string; state: string }>(
        `SELECT delivery_id, referral_id, state FROM referral_webhook_delivery ORDER BY id`,
      );
      await left.close();
      expect(outbox.map((r) => [r.referral_id, r.state])).toEqual([
        [a.reference, "pending"],
        [b.reference, "pending"],
      ]);

      answering = true;
      const second = await startCouncil();
      const accepted = await eventually(async () => {
        const got = receiver.accepted();
        expect(got.size).toBe(2);
        return got;
      }, 120_000);
      // Deduped on the delivery id, the receiver has exactly the two notifications, each as the
      // outbox wrote it and signed with the partner's secret, however often it was sent.
      expect([...accepted.keys()].sort()).toEqual(outbox.map((r) => r.delivery_id).sort());
      for (const hit of receiver.hits) {
        expect(hit.body).toBe(accepted.get(hit.delivery));
        expect(hit.signature).toBe(
          `sha256=${createHmac("sha256", secret).update(hit.body).digest("hex")}`,
        );
      }
      expect(
        [...accepted.values()].map((body) => {
          const e = JSON.parse(body);
          return [e.deliveryId, e.event, e.referralId];
        }),
      ).toEqual(
        expect.arrayContaining([
          [outbox[0]!.delivery_id, "referral.created", a.id],
          [outbox[1]!.delivery_id, "referral.created", b.id],
        ]),
      );
      const log = await op<{ id: string; state: string }[]>(second.url, alice, {
        op: "webhookDeliveries",
        first: 10,
      });
      expect(log.map((d) => d.state)).toEqual(["DELIVERED", "DELIVERED"]);
      const stopped = new Promise((r) => second.child.once("exit", r));
      second.child.kill("SIGTERM");
      await stopped;
    } finally {
      await receiver.close();
    }
  });
});

// Referral webhooks against a real receiver on 127.0.0.1: a partner admin registers one; new
// referrals and status changes are POSTed, signed with HMAC-SHA256 of the body under the partner's
// secret; failed deliveries are retried with backoff; the delivery log records every attempt; and
// another partner's admin sees none of it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack, type GqlResult } from "./helpers/stack.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { CREATE, MOVE, bornYearsAgo, referralInput } from "./helpers/referrals.ts";

interface Received {
  at: number;
  body: string;
  signature: string;
  event: string;
  delivery: string;
}

const REGISTER = /* GraphQL */ `
  mutation R($url: String!) {
    registerReferralWebhook(url: $url) {
      partner
      url
      secret
    }
  }
`;
const LOG = /* GraphQL */ `
  query L {
    referralWebhookDeliveries(first: 50) {
      id
      event
      referralId
      state
      attempts
      lastStatus
      lastError
      deliveredAt
      lastAttemptAt
      nextAttemptAt
    }
  }
`;

describe("referral webhooks", () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let receiver: http.Server;
  let receiverUrl = "";
  const received: Received[] = [];
  /** How many requests the receiver fails (500) before it answers 204. */
  let failFirst = 0;
  const tokens = {} as Record<string, string>;

  async function call(
    query: string,
    variables: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResult> {
    const res = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  }
  async function ok(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await call(query, variables, token);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data;
  }

  beforeAll(async () => {
    receiver = http.createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      received.push({
        at: Date.now(),
        body,
        signature: String(req.headers["x-wayfinder-signature"] ?? ""),
        event: String(req.headers["x-wayfinder-event"] ?? ""),
        delivery: String(req.headers["x-wayfinder-delivery"] ?? ""),
      });
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(500).end("try later");
        return;
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/referrals`;
    // Retries after 200 ms, 400 ms, 800 ms …: real backoff, short enough for a test.
    stack = await startTestStack("pglite", { webhookRetryBaseMs: 200 });
    tokens.dan = await mintDevToken({ role: "professional", sub: "dan@school.example" });
    tokens.councilAdmin = await mintDevToken({
      role: "partner-admin",
      partner: "council",
      sub: "alice@norfolk.example",
    });
    tokens.charityAdmin = await mintDevToken({
      role: "partner-admin",
      partner: "charity",
      sub: "bob@barnardos.example",
    });
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((r) => receiver?.close(r));
  });

  const verify = (secret: string, r: Received) => {
    const expected = Buffer.from(
      `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`,
    );
    const got = Buffer.from(r.signature);
    return expected.length === got.length && timingSafeEqual(expected, got);
  };

  it("POSTs new referrals and status changes, signed, retrying failures with backoff, into a delivery log", async () => {
    // Only partner admins register, each for their own partner.
    expect(
      (await call(REGISTER, { url: receiverUrl }, tokens.dan)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect(
      (await call(REGISTER, { url: "ftp://example.org/x" }, tokens.councilAdmin)).errors?.[0]
        ?.extensions,
    ).toMatchObject({ code: "BAD_USER_INPUT", field: "url" });
    const hook = (await ok(REGISTER, { url: receiverUrl }, tokens.councilAdmin))
      .registerReferralWebhook;
    expect(hook).toMatchObject({ partner: "COUNCIL", url: receiverUrl });
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);

    failFirst = 2;
    const created = (await ok(CREATE, { input: referralInput(new Date()) }, tokens.dan))
      .createReferral;
    const first = await eventually(async () => {
      const got = received.filter((r) => r.event === "referral.created");
      expect(got.length).toBe(3);
      return got;
    }, 30_000);
    // The same event each time, signed with the secret, naming the referral and never the child.
    expect(new Set(first.map((r) => r.body)).size).toBe(1);
    expect(new Set(first.map((r) => r.delivery)).size).toBe(1);
    for (const r of first) expect(verify(hook.secret, r)).toBe(true);
    expect(verify("0".repeat(64), first[0]!)).toBe(false);
    const body = JSON.parse(first[0]!.body);
    expect(body).toMatchObject({
      partner: "council",
      event: "referral.created",
      referralId: created.id,
      reference: created.reference,
      serviceId: "council:fh-norwich",
      status: "NEW",
      previousStatus: null,
      version: 1,
    });
    expect(first[0]!.body).not.toContain("Amelia");

    await ok(
      MOVE,
      { id: created.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
      tokens.councilAdmin,
    );
    const change = await eventually(async () => {
      const got = received.filter((r) => r.event === "referral.status_changed");
      expect(got.length).toBe(1);
      return got[0]!;
    }, 30_000);
    expect(verify(hook.secret, change)).toBe(true);
    expect(JSON.parse(change.body)).toMatchObject({
      referralId: created.id,
      status: "ACKNOWLEDGED",
      previousStatus: "NEW",
      version: 2,
    });

    const log = (await ok(LOG, {}, tokens.councilAdmin)).referralWebhookDeliveries;
    expect(log.map((d: any) => [d.event, d.state, d.attempts, d.lastStatus])).toEqual([
      ["referral.status_changed", "DELIVERED", 1, 204],
      ["referral.created", "DELIVERED", 3, 204],
    ]);
    expect(log.every((d: any) => d.referralId === created.id && d.deliveredAt)).toBe(true);
    // The charity's admin sees an empty log of their own, never the council's.
    expect((await ok(LOG, {}, tokens.charityAdmin)).referralWebhookDeliveries).toEqual([]);
  });

  it("keeps retrying while the receiver fails, and records why", async () => {
    failFirst = 1_000;
    const before = received.length;
    const input = referralInput(new Date(), {
      child: { name: "Retry Child", dateOfBirth: bornYearsAgo(new Date(), 4), postcode: "NR2 4AB" },
    });
    const created = (await ok(CREATE, { input }, tokens.dan)).createReferral;
    const pending = await eventually(async () => {
      const entry = (await ok(LOG, {}, tokens.councilAdmin)).referralWebhookDeliveries.find(
        (d: any) => d.referralId === created.id,
      );
      expect(entry.attempts).toBeGreaterThanOrEqual(2);
      return entry;
    }, 30_000);
    expect(pending).toMatchObject({ state: "PENDING", lastStatus: 500, lastError: "answered 500" });
    // Exponential backoff: after the nth failed attempt the next waits 200 ms × 2^(n-1).
    expect(
      new Date(pending.nextAttemptAt).getTime() - new Date(pending.lastAttemptAt).getTime(),
    ).toBe(200 * 2 ** (pending.attempts - 1));
    expect(received.length - before).toBeGreaterThanOrEqual(2);
    failFirst = 0;
    await eventually(async () => {
      const entry = (await ok(LOG, {}, tokens.councilAdmin)).referralWebhookDeliveries.find(
        (d: any) => d.referralId === created.id,
      );
      expect(entry.state).toBe("DELIVERED");
    }, 30_000);
  });
});

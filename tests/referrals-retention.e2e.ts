// Retention: REFERRAL_RETENTION_DAYS, loaded by the partner's config loader, decides when a running
// partner purges a closed referral's personal data; open referrals and recently closed ones keep
// theirs, and the anonymous counts stay. Time passes on an injected clock, not by sleeping.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack, type GqlResult } from "./helpers/stack.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { partnerConfig } from "../platform/config.ts";
import { CREATE, INBOX, MINE, MOVE, bornYearsAgo, referralInput } from "./helpers/referrals.ts";
import { NORFOLK } from "./fixtures/dataset.ts";

const DAY = 86_400_000;

describe("referral retention", () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const tokens = {} as Record<string, string>;

  beforeAll(async () => {
    // Retention runs every 100 ms here, so a test sees it act once the clock has moved.
    stack = await startTestStack("pglite", {
      now,
      env: { REFERRAL_RETENTION_DAYS: "30" },
      purgeIntervalMs: 100,
    });
    tokens.dan = await mintDevToken({ role: "professional", sub: "dan@school.example" });
    tokens.councilAdmin = await mintDevToken({
      role: "partner-admin",
      partner: "council",
      sub: "alice@norfolk.example",
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function ok(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult;
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  }

  it("is loaded by the partner's config loader", () => {
    expect(
      partnerConfig("council", { REFERRAL_RETENTION_DAYS: "30" }).referrals.retentionDays,
    ).toBe(30);
    expect(partnerConfig("council", {}).referrals.retentionDays).toBe(365);
    expect(() => partnerConfig("council", { REFERRAL_RETENTION_DAYS: "0" })).toThrow(
      /REFERRAL_RETENTION_DAYS/,
    );
    expect(stack.config.partners.council!.referrals.retentionDays).toBe(30);
  });

  it("purges a referral closed more than REFERRAL_RETENTION_DAYS ago, keeps the rest, and keeps the counts", async () => {
    const send = async (name: string) =>
      (
        await ok(
          CREATE,
          {
            input: referralInput(now(), {
              child: { name, dateOfBirth: bornYearsAgo(now(), 5), postcode: "NR2 4AB" },
              routePlan: {
                reference: `plan for ${name}`,
                need: "PARENTING",
                rankedServiceIds: ["council:fh-norwich"],
              },
            }),
          },
          tokens.dan,
        )
      ).createReferral;
    const close = async (id: string) => {
      await ok(
        MOVE,
        { id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
        tokens.councilAdmin,
      );
      await ok(
        MOVE,
        { id, expectedVersion: 2, input: { status: "ACCEPTED", note: `Spoke to ${id}'s family` } },
        tokens.councilAdmin,
      );
      await ok(
        MOVE,
        { id, expectedVersion: 3, input: { status: "CLOSED", outcome: "SUPPORT_COMPLETED" } },
        tokens.councilAdmin,
      );
    };
    const old = await send("Old Closed Child");
    await close(old.id);
    const open = await send("Still Open Child");
    offsetMs += 20 * DAY;
    const recent = await send("Recently Closed Child");
    await close(recent.id);
    const healthBefore = (await ok(HEALTH, { area: NORFOLK }, tokens.dan)).referralHealth;

    // 31 days after the first was closed, 11 after the second.
    offsetMs += 11 * DAY;
    const db = stack.dbs.council!;
    const ref = (id: string) => id.split(":")[1]!;
    await eventually(async () => {
      const row = (
        await db.query<{ personal: string | null; purged_at: Date | null }>(
          `SELECT personal, purged_at FROM referral WHERE id = $1`,
          [ref(old.id)],
        )
      )[0]!;
      expect(row.personal).toBeNull();
      expect(row.purged_at).not.toBeNull();
    }, 20_000);
    const notes = await db.query<{ note_sealed: string | null }>(
      `SELECT note_sealed FROM referral_event WHERE referral_id = $1`,
      [ref(old.id)],
    );
    expect(notes.length).toBe(4);
    expect(notes.every((n) => n.note_sealed === null)).toBe(true);
    for (const id of [open.id, recent.id]) {
      const row = (
        await db.query<{ personal: string | null }>(`SELECT personal FROM referral WHERE id = $1`, [
          ref(id),
        ])
      )[0]!;
      expect(row.personal, id).not.toBeNull();
    }

    // The partner's inbox still lists it, closed, with its outcome and history but no personal data.
    const inbox = (await ok(INBOX, { status: "CLOSED" }, tokens.councilAdmin)).referrals.edges.map(
      (e: any) => e.node,
    );
    const purged = inbox.find((r: any) => r.id === old.id);
    expect(purged).toMatchObject({
      status: "CLOSED",
      outcome: "SUPPORT_COMPLETED",
      purged: true,
      child: null,
      reason: null,
      consent: null,
      referrer: null,
    });
    expect(purged.history.map((h: any) => h.to)).toEqual([
      "NEW",
      "ACKNOWLEDGED",
      "ACCEPTED",
      "CLOSED",
    ]);
    expect(purged.history.every((h: any) => h.note === null)).toBe(true);
    expect(inbox.find((r: any) => r.id === recent.id)).toMatchObject({
      purged: false,
      child: { name: "Recently Closed Child" },
      routePlan: { reference: "plan for Recently Closed Child" },
    });
    // The referrer keeps their link to it: the professional still sees that the referral was made,
    // where to, how it went and how it ended, with the child's and family's data removed.
    const mine = (await ok(MINE, {}, tokens.dan)).myReferrals;
    expect(mine.map((r: any) => r.id)).toEqual(
      expect.arrayContaining([old.id, open.id, recent.id]),
    );
    const mineOld = mine.find((r: any) => r.id === old.id);
    expect(mineOld).toMatchObject({
      status: "CLOSED",
      outcome: "SUPPORT_COMPLETED",
      service: { id: "council:fh-norwich" },
      purged: true,
      child: null,
      reason: null,
      consent: null,
      referrer: null,
      // The plan's reference went; its need and ranked service ids (ids only) stay.
      routePlan: { reference: null, need: "PARENTING", rankedServiceIds: ["council:fh-norwich"] },
    });
    expect(mineOld.history.map((h: any) => [h.to, h.note])).toEqual([
      ["NEW", null],
      ["ACKNOWLEDGED", null],
      ["ACCEPTED", null],
      ["CLOSED", null],
    ]);
    // Still only theirs: another professional neither lists it nor reads it.
    tokens.erin = await mintDevToken({ role: "professional", sub: "erin@gp.example" });
    expect((await ok(MINE, {}, tokens.erin)).myReferrals.map((r: any) => r.id)).not.toContain(
      old.id,
    );
    const raw = (
      await db.query<{ referrer_sub: string; plan_ref: string | null }>(
        `SELECT referrer_sub, plan_ref FROM referral WHERE id = $1`,
        [ref(old.id)],
      )
    )[0]!;
    expect(raw).toEqual({ referrer_sub: "dan@school.example", plan_ref: null });
    // The counts are unchanged.
    const healthAfter = (await ok(HEALTH, { area: NORFOLK }, tokens.dan)).referralHealth;
    const fh = (h: any) =>
      h.partners
        .find((p: any) => p.partner === "COUNCIL")
        .services.find((s: any) => s.service.id === "council:fh-norwich");
    expect(fh(healthAfter)).toMatchObject({
      sent: fh(healthBefore).sent,
      accepted: fh(healthBefore).accepted,
      closed: fh(healthBefore).closed,
    });
    expect(fh(healthAfter).closed).toBe(2);
  });
});

const HEALTH = /* GraphQL */ `
  query Health($area: String!) {
    referralHealth(area: $area) {
      partners {
        partner
        services {
          service {
            id
          }
          sent
          accepted
          closed
        }
      }
    }
  }
`;

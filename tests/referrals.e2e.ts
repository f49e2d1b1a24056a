// Closed-loop referrals through the gateway, on the fixed dataset: a professional refers a child to
// a service of any partner, the owner partner stores it (its own database only, personal data
// encrypted), the partner's admins work it through the inbox with optimistic concurrency and an
// audit trail, the referrer follows it in myReferrals, a declined one offers the plan's next
// service, an unanswered one becomes OVERDUE on an injected clock, and bad input stores nothing.
// Runs on PGlite and, when reachable, on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type DbKind, type GqlResult } from "./helpers/stack.ts";
import { hasPostgres } from "./helpers/postgres.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { PARTNERS } from "../schema/vocabulary.ts";
import { CREATE, INBOX, MINE, MOVE, bornYearsAgo, referralInput } from "./helpers/referrals.ts";
import { BRISTOL, DATASET, NORFOLK } from "./fixtures/dataset.ts";
import type { HsdsBundle } from "../subgraphs/kit/hsds/format.ts";

/** The fixture, with the council's early help team answering referrals within 24 hours (its own HSDS extension). */
function datasetWithResponseTime(): Record<string, HsdsBundle> {
  const dataset = structuredClone(DATASET) as Record<string, HsdsBundle>;
  const eh = dataset.council!.services!.find((s) => s.id === "eh-norfolk")!;
  eh.wayfinder = { ...eh.wayfinder, referral_response_hours: 24 };
  return dataset;
}

const HEALTH = /* GraphQL */ `
  query Health($area: String!) {
    referralHealth(area: $area) {
      localAuthority
      offlinePartners
      partners {
        partner
        sent
        acknowledgedInTime
        accepted
        declined
        overdue
        declineReasons {
          reason
          count
        }
        services {
          service {
            id
            name
          }
          sent
          acknowledged
          acknowledgedInTime
          accepted
          declined
          overdue
          closed
          declineReasons {
            reason
            count
          }
        }
      }
    }
  }
`;

for (const kind of ["pglite", "postgres"] as DbKind[]) {
  describe.skipIf(kind === "postgres" && !hasPostgres)(`referrals (${kind})`, () => {
    let stack: Awaited<ReturnType<typeof startTestStack>>;
    // The referrals' clock: real time plus an offset the tests move instead of sleeping.
    let offsetMs = 0;
    const now = () => new Date(Date.now() + offsetMs);
    const tokens = {} as Record<
      "dan" | "erin" | "councilAdmin" | "charityAdmin" | "healthAdmin",
      string
    >;

    beforeAll(async () => {
      stack = await startTestStack(kind, { now, dataset: datasetWithResponseTime() });
      tokens.dan = await mintDevToken({ role: "professional", sub: "dan@school.example" });
      tokens.erin = await mintDevToken({ role: "professional", sub: "erin@gp.example" });
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
      tokens.healthAdmin = await mintDevToken({
        role: "partner-admin",
        partner: "health",
        sub: "carol@nhs.example",
      });
    });
    afterAll(async () => {
      await stack?.close();
    });

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
    const rowCounts = async () =>
      Object.fromEntries(
        await Promise.all(
          PARTNERS.map(async (p) => [
            p,
            Number(
              (
                await stack.dbs[p]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM referral`)
              )[0]!.n,
            ),
          ]),
        ),
      );

    it("stores a referral only at the partner that owns the service, and the whole loop works through the gateway", async () => {
      const before = await rowCounts();
      const created = (await ok(CREATE, { input: referralInput(now()) }, tokens.dan))
        .createReferral;
      expect(created).toMatchObject({
        partner: "COUNCIL",
        status: "NEW",
        overdue: false,
        version: 1,
        urgency: "SOON",
        needs: ["FAMILY_STRESS", "PARENTING"],
        service: { id: "council:fh-norwich", name: "Norwich Family Hub" },
        child: { name: "Amelia Quenby-Tarrant", postcode: "NR2 4AB" },
        consent: { givenBy: "Mother" },
        referrer: { email: "dan@school.example" },
        purged: false,
      });
      expect(created.id).toMatch(/^council:R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(created.id).toBe(`council:${created.reference}`);
      // Due within the council's default response time (72 hours, its manifest).
      expect(new Date(created.dueBy).getTime() - new Date(created.createdAt).getTime()).toBe(
        72 * 3600_000,
      );
      expect(created.history).toEqual([
        expect.objectContaining({
          actor: "dan@school.example",
          actorRole: "professional",
          from: null,
          to: "NEW",
          versionTo: 1,
        }),
      ]);
      expect(await rowCounts()).toEqual({ ...before, council: before.council + 1 });

      // The council's inbox has it; the charity's does not.
      const inbox = (await ok(INBOX, { status: "NEW" }, tokens.councilAdmin)).referrals;
      expect(inbox.edges.map((e: any) => e.node.id)).toContain(created.id);
      const charityInbox = (await ok(INBOX, {}, tokens.charityAdmin)).referrals;
      expect(charityInbox.edges.map((e: any) => e.node.id)).not.toContain(created.id);

      // NEW → ACKNOWLEDGED, then a stale version is refused with CONFLICT and nothing changes.
      const acked = (
        await ok(
          MOVE,
          { id: created.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
          tokens.councilAdmin,
        )
      ).updateReferralStatus;
      expect(acked).toMatchObject({ status: "ACKNOWLEDGED", version: 2 });
      expect(acked.acknowledgedAt).not.toBeNull();
      const stale = await call(
        MOVE,
        { id: created.id, expectedVersion: 1, input: { status: "ACCEPTED" } },
        tokens.councilAdmin,
      );
      expect(stale.errors?.[0]?.extensions).toMatchObject({
        code: "CONFLICT",
        currentVersion: 2,
        field: "expectedVersion",
      });

      // ACKNOWLEDGED → MORE_INFO_REQUESTED → (referrer answers) ACKNOWLEDGED → ACCEPTED → CLOSED.
      const asked = (
        await ok(
          MOVE,
          {
            id: created.id,
            expectedVersion: 2,
            input: { status: "MORE_INFO_REQUESTED", note: "Is there a social worker involved?" },
          },
          tokens.councilAdmin,
        )
      ).updateReferralStatus;
      expect(asked.status).toBe("MORE_INFO_REQUESTED");
      const answered = (
        await ok(
          /* GraphQL */ `
            mutation Answer($id: ID!, $v: Int!, $info: String!) {
              provideReferralInformation(id: $id, expectedVersion: $v, information: $info) {
                status
                version
                history {
                  to
                  note
                }
              }
            }
          `,
          { id: created.id, v: asked.version, info: "No social worker; school nurse is aware." },
          tokens.dan,
        )
      ).provideReferralInformation;
      expect(answered.status).toBe("ACKNOWLEDGED");
      expect(answered.history.at(-1)).toEqual({
        to: "ACKNOWLEDGED",
        note: "No social worker; school nurse is aware.",
      });
      const accepted = (
        await ok(
          MOVE,
          { id: created.id, expectedVersion: answered.version, input: { status: "ACCEPTED" } },
          tokens.councilAdmin,
        )
      ).updateReferralStatus;
      expect(accepted.status).toBe("ACCEPTED");
      // A move the status machine does not allow names the field.
      const skip = await call(
        MOVE,
        { id: created.id, expectedVersion: accepted.version, input: { status: "NEW" } },
        tokens.councilAdmin,
      );
      expect(skip.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "input.status",
      });
      const noOutcome = await call(
        MOVE,
        { id: created.id, expectedVersion: accepted.version, input: { status: "CLOSED" } },
        tokens.councilAdmin,
      );
      expect(noOutcome.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "input.outcome",
      });
      const closed = (
        await ok(
          MOVE,
          {
            id: created.id,
            expectedVersion: accepted.version,
            input: { status: "CLOSED", outcome: "SUPPORT_STARTED" },
          },
          tokens.councilAdmin,
        )
      ).updateReferralStatus;
      expect(closed).toMatchObject({ status: "CLOSED", outcome: "SUPPORT_STARTED" });
      expect(closed.history.map((h: any) => [h.from, h.to, h.actor])).toEqual([
        [null, "NEW", "dan@school.example"],
        ["NEW", "ACKNOWLEDGED", "alice@norfolk.example"],
        ["ACKNOWLEDGED", "MORE_INFO_REQUESTED", "alice@norfolk.example"],
        ["MORE_INFO_REQUESTED", "ACKNOWLEDGED", "dan@school.example"],
        ["ACKNOWLEDGED", "ACCEPTED", "alice@norfolk.example"],
        ["ACCEPTED", "CLOSED", "alice@norfolk.example"],
      ]);
      expect(closed.history.every((h: any, i: number) => h.versionTo === i + 1)).toBe(true);
      expect(closed.history[1].actorPartner).toBe("COUNCIL");

      // The referrer sees it, with its history; another professional does not.
      const mine = (await ok(MINE, {}, tokens.dan)).myReferrals;
      expect(mine.find((r: any) => r.id === created.id)).toMatchObject({
        status: "CLOSED",
        history: expect.any(Array),
      });
      const erins = (await ok(MINE, {}, tokens.erin)).myReferrals;
      expect(erins.map((r: any) => r.id)).not.toContain(created.id);
    });

    it("refers to any partner's service: a charity service's referral is kept by the charity", async () => {
      const before = await rowCounts();
      const input = referralInput(now(), {
        serviceId: "charity:bereave-norfolk",
        needs: ["BEREAVEMENT"],
        child: {
          name: "Oliver Stannard-Pike",
          dateOfBirth: bornYearsAgo(now(), 10),
          postcode: "NR3 1AB",
        },
      });
      const created = (await ok(CREATE, { input }, tokens.erin)).createReferral;
      expect(created).toMatchObject({
        partner: "CHARITY",
        status: "NEW",
        service: { id: "charity:bereave-norfolk" },
      });
      // The charity's default response time is 120 hours (its manifest).
      expect(new Date(created.dueBy).getTime() - new Date(created.createdAt).getTime()).toBe(
        120 * 3600_000,
      );
      expect(await rowCounts()).toEqual({ ...before, charity: before.charity + 1 });
      const mine = (await ok(MINE, {}, tokens.erin)).myReferrals;
      expect(mine.map((r: any) => r.id)).toContain(created.id);
    });

    it("refuses bad input with BAD_USER_INPUT naming the field, and stores nothing", async () => {
      const before = await rowCounts();
      const cases: [Record<string, unknown>, string][] = [
        [{ serviceId: "council:no-such-service" }, "input.serviceId"],
        [{ serviceId: "nowhere:fh-norwich" }, "input.serviceId"],
        // Speech and language therapy in Newport is not accepting referrals (fixture).
        [
          {
            serviceId: "health:salt-newport",
            child: { name: "A", dateOfBirth: bornYearsAgo(now(), 5), postcode: "NP20 4SZ" },
          },
          "input.serviceId",
        ],
        [{ consent: null }, "input.consent"],
        [{ consent: { givenBy: "Mother", sharing: "all" } }, "input.consent.givenAt"],
        // The family hub takes children up to 11.
        [
          { child: { name: "Too Old", dateOfBirth: bornYearsAgo(now(), 14), postcode: "NR2 4AB" } },
          "input.child.dateOfBirth",
        ],
        [
          { child: { name: "", dateOfBirth: bornYearsAgo(now(), 5), postcode: "NR2 4AB" } },
          "input.child.name",
        ],
        [
          {
            child: { name: "Ann", dateOfBirth: bornYearsAgo(now(), 5), postcode: "not a postcode" },
          },
          "input.child.postcode",
        ],
        [{ needs: [] }, "input.needs"],
        [{ referrer: { name: "Dan", email: "not-an-email" } }, "input.referrer.email"],
      ];
      for (const [override, field] of cases) {
        const res = await call(CREATE, { input: referralInput(now(), override) }, tokens.dan);
        expect(
          res.errors?.[0]?.extensions,
          `${field}: ${JSON.stringify(res.errors)}`,
        ).toMatchObject({ code: "BAD_USER_INPUT", field });
        // The error never echoes the child's details back.
        expect(JSON.stringify(res.errors)).not.toContain("Amelia");
      }
      expect(await rowCounts()).toEqual(before);
    });

    it("offers the plan's next-ranked service when a referral is declined", async () => {
      const plan = {
        reference: "plan-1",
        need: "MENTAL_HEALTH",
        rankedServiceIds: [
          "charity:bereave-norfolk",
          "health:camhs-norwich",
          "charity:online-counselling",
        ],
      };
      const input = referralInput(now(), {
        serviceId: "charity:bereave-norfolk",
        needs: ["MENTAL_HEALTH"],
        child: { name: "Isla Brundall", dateOfBirth: bornYearsAgo(now(), 12), postcode: "NR7 0HT" },
        routePlan: plan,
      });
      const created = (await ok(CREATE, { input }, tokens.dan)).createReferral;
      expect(created.routePlan).toEqual(plan);
      expect(created.nextOption).toBeNull();
      const acked = (
        await ok(
          MOVE,
          { id: created.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
          tokens.charityAdmin,
        )
      ).updateReferralStatus;
      const noReason = await call(
        MOVE,
        { id: created.id, expectedVersion: acked.version, input: { status: "DECLINED" } },
        tokens.charityAdmin,
      );
      expect(noReason.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "input.declineReason",
      });
      const declined = (
        await ok(
          MOVE,
          {
            id: created.id,
            expectedVersion: acked.version,
            input: {
              status: "DECLINED",
              declineReason: "NEEDS_NOT_MET",
              suggestedAlternativeServiceId: "charity:online-counselling",
              note: "Not a bereavement.",
            },
          },
          tokens.charityAdmin,
        )
      ).updateReferralStatus;
      expect(declined).toMatchObject({
        status: "DECLINED",
        declineReason: "NEEDS_NOT_MET",
        suggestedAlternative: { id: "charity:online-counselling" },
      });
      // The plan ranked CAMHS next for the need: that is what the referrer is offered.
      expect(declined.nextOption).toEqual({
        id: "health:camhs-norwich",
        name: "CAMHS Getting Help – Norwich",
      });
      const mine = (await ok(MINE, {}, tokens.dan)).myReferrals.find(
        (r: any) => r.id === created.id,
      );
      expect(mine).toMatchObject({
        status: "DECLINED",
        nextOption: { id: "health:camhs-norwich" },
        history: expect.arrayContaining([
          expect.objectContaining({ to: "DECLINED", note: "Not a bereavement." }),
        ]),
      });
    });

    it("shows a referral nobody acknowledged in time as OVERDUE to the referrer and the partner", async () => {
      const input = referralInput(now(), {
        serviceId: "health:camhs-norwich",
        needs: ["MENTAL_HEALTH"],
        child: { name: "Noah Overdue", dateOfBirth: bornYearsAgo(now(), 9), postcode: "NR7 0HT" },
      });
      const created = (await ok(CREATE, { input }, tokens.erin)).createReferral;
      expect(created.status).toBe("NEW");
      const overdueBefore = (
        await ok(INBOX, { status: "OVERDUE" }, tokens.healthAdmin)
      ).referrals.edges.map((e: any) => e.node.id);
      expect(overdueBefore).not.toContain(created.id);
      // The health partner's default response time is 120 hours; move the clock past it.
      offsetMs += 121 * 3600_000;
      try {
        const mine = (await ok(MINE, {}, tokens.erin)).myReferrals.find(
          (r: any) => r.id === created.id,
        );
        expect(mine).toMatchObject({ status: "OVERDUE", overdue: true });
        const overdue = (await ok(INBOX, { status: "OVERDUE" }, tokens.healthAdmin)).referrals;
        expect(overdue.edges.map((e: any) => e.node.id)).toContain(created.id);
        expect(overdue.edges.every((e: any) => e.node.status === "OVERDUE")).toBe(true);
        const fresh = (await ok(INBOX, { status: "NEW" }, tokens.healthAdmin)).referrals;
        expect(fresh.edges.map((e: any) => e.node.id)).not.toContain(created.id);
        // Acknowledging late ends OVERDUE, and is not counted as in time.
        const acked = (
          await ok(
            MOVE,
            { id: created.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
            tokens.healthAdmin,
          )
        ).updateReferralStatus;
        expect(acked).toMatchObject({ status: "ACKNOWLEDGED", overdue: false });
      } finally {
        offsetMs -= 121 * 3600_000;
      }
    });

    it("pages the inbox with first and after", async () => {
      for (let i = 0; i < 3; i++) {
        await ok(
          CREATE,
          {
            input: referralInput(now(), {
              child: {
                name: `Paging Child ${i}`,
                dateOfBirth: bornYearsAgo(now(), 4),
                postcode: "NR2 4AB",
              },
            }),
          },
          tokens.dan,
        );
      }
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      for (let guard = 0; guard < 50; guard++) {
        const page: any = (await ok(INBOX, { first: 2, after }, tokens.councilAdmin)).referrals;
        total = page.totalCount;
        seen.push(...page.edges.map((e: any) => e.node.id));
        expect(page.edges.length).toBeLessThanOrEqual(2);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(total).toBeGreaterThanOrEqual(3);
    });

    it("times each service by its own response time, else its partner's default", async () => {
      const read = async (id: string) =>
        (
          await ok(
            /* GraphQL */ `
              query S($id: ID!) {
                service(id: $id) {
                  capacity {
                    referralResponseHours
                  }
                }
              }
            `,
            { id },
          )
        ).service.capacity.referralResponseHours;
      expect(await read("council:eh-norfolk")).toBe(24);
      expect(await read("council:fh-norwich")).toBe(72);
      expect(await read("health:camhs-norwich")).toBe(120);
      const input = referralInput(now(), {
        serviceId: "council:eh-norfolk",
        needs: ["SAFEGUARDING"],
        child: { name: "Timed Child", dateOfBirth: bornYearsAgo(now(), 9), postcode: "NR1 2DH" },
      });
      const created = (await ok(CREATE, { input }, tokens.erin)).createReferral;
      expect(new Date(created.dueBy).getTime() - new Date(created.createdAt).getTime()).toBe(
        24 * 3600_000,
      );
      // Leave it for the next test to find overdue; acknowledge nothing.
    });

    it("gives commissioners referral health per partner and service: counts only, no personal data", async () => {
      const child = (name: string) => ({
        name,
        dateOfBirth: bornYearsAgo(now(), 9),
        postcode: "NR1 2DH",
      });
      const send = async (name: string) =>
        (
          await ok(
            CREATE,
            {
              input: referralInput(now(), {
                serviceId: "council:eh-norfolk",
                needs: ["SAFEGUARDING"],
                child: child(name),
              }),
            },
            tokens.dan,
          )
        ).createReferral;
      const move = async (id: string, expectedVersion: number, input: Record<string, unknown>) =>
        (await ok(MOVE, { id, expectedVersion, input }, tokens.councilAdmin)).updateReferralStatus;
      const a = await send("Health Child A");
      await move(a.id, 1, { status: "ACKNOWLEDGED" });
      await move(a.id, 2, { status: "ACCEPTED" });
      const b = await send("Health Child B");
      await move(b.id, 1, { status: "ACKNOWLEDGED" });
      await move(b.id, 2, { status: "DECLINED", declineReason: "NO_CAPACITY" });
      await send("Health Child C");
      // Past the early help team's 24 hours: C and the previous test's referral are overdue.
      offsetMs += 25 * 3600_000;
      try {
        const res = await call(HEALTH, { area: NORFOLK }, tokens.dan);
        expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
        const health = res.data.referralHealth;
        expect(health.localAuthority).toBe(NORFOLK);
        expect(health.offlinePartners).toEqual([]);
        expect(health.partners.map((p: any) => p.partner)).toEqual([
          "COUNCIL",
          "CHARITY",
          "HEALTH",
        ]);
        const council = health.partners.find((p: any) => p.partner === "COUNCIL");
        const eh = council.services.find((s: any) => s.service.id === "council:eh-norfolk");
        expect(eh).toEqual({
          service: { id: "council:eh-norfolk", name: "Norfolk Early Help Team" },
          sent: 4,
          acknowledged: 2,
          acknowledgedInTime: 2,
          accepted: 1,
          declined: 1,
          overdue: 2,
          closed: 0,
          declineReasons: [{ reason: "NO_CAPACITY", count: 1 }],
        });
        expect(council.sent).toBe(council.services.reduce((n: number, s: any) => n + s.sent, 0));
        expect(council.overdue).toBeGreaterThanOrEqual(2);
        // The health partner's CAMHS referral was acknowledged late: not in time.
        const camhs = health.partners
          .find((p: any) => p.partner === "HEALTH")
          .services.find((s: any) => s.service.id === "health:camhs-norwich");
        expect(camhs).toMatchObject({ acknowledged: 1, acknowledgedInTime: 0 });
        // No child's details anywhere in it.
        const text = JSON.stringify(health);
        for (const name of ["Health Child", "Amelia", "Noah", "Isla", "NR1 2DH", "NR2 4AB"])
          expect(text).not.toContain(name);
        // Bristol's commissioners see none of Norfolk's services.
        const bristol = (await ok(HEALTH, { area: BRISTOL }, tokens.dan)).referralHealth;
        expect(
          bristol.partners.flatMap((p: any) => p.services.map((s: any) => s.service.id)),
        ).not.toContain("council:eh-norfolk");
        expect(bristol.partners.find((p: any) => p.partner === "COUNCIL").sent).toBe(0);
        const anonymous = await call(HEALTH, { area: NORFOLK });
        expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
        const bad = await call(HEALTH, { area: "X99" }, tokens.dan);
        expect(bad.errors?.[0]?.extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          field: "area",
        });
      } finally {
        offsetMs -= 25 * 3600_000;
      }
    });
  });
}

// routeChild and coverage through the gateway, on the fixed dataset: one hand-worked case per gap
// kind, a multi-need child met by one integrated service, ages at the edge of a range, a child just
// over an area boundary, a partner taken offline mid-test, bad input, and privacy of the profile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, gql, startTestStack } from "./helpers/stack.ts";
import { BRISTOL, NEWPORT, NORFOLK, inMonths } from "./fixtures/dataset.ts";
import { setLogSink } from "../platform/log.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack("pglite");
});
afterAll(async () => {
  await stack?.close();
});

const ROUTE = /* GraphQL */ `
  query Route($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
          }
          coversNeeds
          reasons
          distanceKm
          typicalWaitWeeks
          contractEndDate
          stale
        }
        gaps {
          kind
          blocking
          message
          nearestAge
          nearestDistanceKm
          partners
          serviceIds
        }
      }
      gaps {
        kind
        need
      }
      level {
        level
        label
        reason
      }
      leadAgency {
        partner
        reason
      }
      offlinePartners
    }
  }
`;

async function route(profile: Record<string, unknown>) {
  const res = await gql(stack.gatewayUrl, ROUTE, { profile });
  expect(res.errors).toBeUndefined();
  return res.data.routeChild;
}
const needOf = (plan: any, need: string) => plan.needs.find((n: any) => n.need === need);

describe("routeChild", () => {
  it("ranks one integrated service first when it meets several needs at once", async () => {
    const plan = await route({
      age: 12,
      needs: ["MENTAL_HEALTH", "ADHD", "AUTISM"],
      localAuthority: NORFOLK,
    });
    for (const need of ["MENTAL_HEALTH", "ADHD", "AUTISM"]) {
      const n = needOf(plan, need);
      expect(n.status).toBe("COVERED");
      expect(n.services[0].service.id).toBe("health:camhs-norwich");
      expect(n.services[0].coversNeeds).toEqual(["MENTAL_HEALTH", "ADHD", "AUTISM"]);
    }
    expect(plan.gaps).toEqual([]);
    expect(plan.level.level).toBe(3);
  });

  it("names an AGE gap with the nearest age served", async () => {
    const plan = await route({ age: 6, needs: ["YOUTH_JUSTICE"], localAuthority: BRISTOL });
    const n = needOf(plan, "YOUTH_JUSTICE");
    expect(n.status).toBe("GAP");
    expect(n.gaps).toHaveLength(1);
    expect(n.gaps[0]).toMatchObject({
      kind: "AGE",
      nearestAge: 10,
      serviceIds: ["council:yj-bristol"],
    });
    expect(n.gaps[0].message).toContain("nearest age served is 10");
  });

  it("treats both ends of an age range as inside it", async () => {
    const at17 = await route({ age: 17, needs: ["SAFEGUARDING"], localAuthority: NORFOLK });
    expect(needOf(at17, "SAFEGUARDING").services.map((s: any) => s.service.id)).toEqual([
      "council:eh-norfolk",
    ]);
    const at0 = await route({ age: 0, needs: ["SAFEGUARDING"], localAuthority: NORFOLK });
    expect(needOf(at0, "SAFEGUARDING").status).toBe("COVERED");
    const at18 = await route({ age: 18, needs: ["SAFEGUARDING"], localAuthority: NORFOLK });
    expect(needOf(at18, "SAFEGUARDING").gaps[0]).toMatchObject({ kind: "AGE", nearestAge: 17 });
  });

  it("names NO_SERVICE only when nothing exists for the need anywhere", async () => {
    const plan = await route({ age: 9, needs: ["HOUSING"], localAuthority: NEWPORT });
    expect(needOf(plan, "HOUSING")).toMatchObject({ status: "GAP", services: [] });
    expect(needOf(plan, "HOUSING").gaps.map((g: any) => g.kind)).toEqual(["NO_SERVICE"]);
    // ADHD: nothing in or near Newport, but CAMHS in Norwich is still the nearest help.
    const adhd = needOf(await route({ age: 9, needs: ["ADHD"], localAuthority: NEWPORT }), "ADHD");
    expect(adhd.gaps).toEqual([
      expect.objectContaining({ kind: "OUTSIDE_AREA", serviceIds: ["health:camhs-norwich"] }),
    ]);
    expect(adhd.gaps[0].nearestDistanceKm).toBeGreaterThan(250);
  });

  it("places a child just over the Newport boundary and names OUTSIDE_AREA, not NO_SERVICE", async () => {
    const plan = await route({ age: 12, needs: ["MENTAL_HEALTH"], postcode: "np26 4aa" });
    const gap = needOf(plan, "MENTAL_HEALTH").gaps[0];
    expect(gap.kind).toBe("OUTSIDE_AREA");
    expect(gap.serviceIds).toContain("health:camhs-newport");
    expect(gap.nearestDistanceKm).toBeGreaterThan(5);
    expect(gap.nearestDistanceKm).toBeLessThan(25);
    expect(gap.message).toContain("Newport");
  });

  it("names OUTSIDE_AREA when the only service is beyond the travel distance", async () => {
    const plan = await route({
      age: 10,
      needs: ["SAFEGUARDING"],
      postcode: "NR30 1AA",
      maxTravelKm: 10,
    });
    const gap = needOf(plan, "SAFEGUARDING").gaps[0];
    expect(gap).toMatchObject({ kind: "OUTSIDE_AREA", serviceIds: ["council:eh-norfolk"] });
    expect(gap.nearestDistanceKm).toBeGreaterThan(10);
  });

  it("names NO_CAPACITY when none accept referrals, or waits exceed the urgency", async () => {
    const closed = await route({ age: 5, needs: ["SPEECH_LANGUAGE"], localAuthority: NEWPORT });
    expect(needOf(closed, "SPEECH_LANGUAGE").gaps[0]).toMatchObject({
      kind: "NO_CAPACITY",
      serviceIds: ["health:salt-newport"],
    });
    expect(needOf(closed, "SPEECH_LANGUAGE").gaps[0].message).toContain("accepting referrals");
    const urgent = await route({
      age: 8,
      needs: ["MENTAL_HEALTH"],
      localAuthority: NEWPORT,
      urgency: "URGENT",
    });
    expect(needOf(urgent, "MENTAL_HEALTH").gaps[0].kind).toBe("NO_CAPACITY");
    expect(needOf(urgent, "MENTAL_HEALTH").gaps[0].message).toContain("12 weeks");
    const routine = await route({ age: 8, needs: ["MENTAL_HEALTH"], localAuthority: NEWPORT });
    expect(needOf(routine, "MENTAL_HEALTH").status).toBe("COVERED");
  });

  it("warns (without calling it a gap) when the only services' contracts end soon", async () => {
    const plan = await route({ age: 10, needs: ["BEREAVEMENT"], localAuthority: NORFOLK });
    const n = needOf(plan, "BEREAVEMENT");
    expect(n.status).toBe("AT_RISK");
    expect(n.services[0].service.id).toBe("charity:bereave-norfolk");
    expect(n.services[0].contractEndDate).toBe(inMonths(2));
    expect(n.gaps).toEqual([expect.objectContaining({ kind: "CONTRACT_ENDING", blocking: false })]);
  });

  it("names LANGUAGE and REFERRAL_ROUTE gaps", async () => {
    const lang = await route({
      age: 10,
      needs: ["SEND_SUPPORT"],
      localAuthority: NEWPORT,
      languages: ["pl"],
    });
    expect(needOf(lang, "SEND_SUPPORT").gaps[0]).toMatchObject({
      kind: "LANGUAGE",
      serviceIds: ["council:send-newport"],
    });
    const welsh = await route({
      age: 10,
      needs: ["SEND_SUPPORT"],
      localAuthority: NEWPORT,
      languages: ["cy"],
    });
    expect(needOf(welsh, "SEND_SUPPORT").status).toBe("COVERED");
    const self = await route({
      age: 10,
      needs: ["ADHD"],
      localAuthority: NORFOLK,
      referral: "SELF_REFERRAL",
    });
    expect(needOf(self, "ADHD").gaps[0]).toMatchObject({
      kind: "REFERRAL_ROUTE",
      serviceIds: ["health:camhs-norwich"],
    });
  });

  it("suggests a level and a lead agency when three or more needs span partners", async () => {
    const plan = await route({
      age: 9,
      needs: ["FAMILY_STRESS", "PARENTING", "BEREAVEMENT", "MENTAL_HEALTH"],
      postcode: "NR2 4AB",
    });
    expect(plan.needs.map((n: any) => n.status)).toEqual([
      "COVERED",
      "COVERED",
      "AT_RISK",
      "COVERED",
    ]);
    expect(plan.level.level).toBe(3);
    expect(plan.leadAgency.partner).toBe("COUNCIL");
    expect(needOf(plan, "FAMILY_STRESS").services[0]).toMatchObject({
      service: { id: "council:fh-norwich" },
      coversNeeds: ["FAMILY_STRESS", "PARENTING"],
    });
    expect(needOf(plan, "FAMILY_STRESS").services[0].distanceKm).toBeLessThan(1);
    const safeguarding = await route({ age: 9, needs: ["SAFEGUARDING"], localAuthority: NORFOLK });
    expect(safeguarding.level.level).toBe(4);
  });

  it("rejects bad input with BAD_USER_INPUT naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ age: 10, needs: [], localAuthority: NORFOLK }, "profile.needs"],
      [{ age: -1, needs: ["ADHD"], localAuthority: NORFOLK }, "profile.age"],
      [{ age: 10, needs: ["ADHD"], postcode: "ZZ99 9ZZ" }, "profile.postcode"],
      [{ age: 10, needs: ["ADHD"], postcode: "not a postcode" }, "profile.postcode"],
      [{ age: 10, needs: ["ADHD"] }, "profile.postcode"],
      [{ age: 10, needs: ["ADHD"], localAuthority: "E99999999" }, "profile.localAuthority"],
    ];
    for (const [profile, field] of cases) {
      const res = await gql(stack.gatewayUrl, ROUTE, { profile });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(profile)).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.extensions?.field, JSON.stringify(profile)).toBe(field);
    }
    const unknownNeed = await gql(stack.gatewayUrl, ROUTE, {
      profile: { age: 10, needs: ["FLYING"], localAuthority: NORFOLK },
    });
    expect(unknownNeed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(unknownNeed.errors?.[0]?.message).toContain("needs");
  });

  it("never logs the child's profile: only that a route was computed, with timing and counts", async () => {
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      await route({
        age: 9,
        needs: ["BEREAVEMENT", "YOUNG_CARERS"],
        postcode: "NR2 4AB",
        languages: ["pl"],
      });
    } finally {
      restore();
    }
    // Other lines (the subgraph's per-request log) may appear; none may carry the profile.
    const routeLines = lines.filter((l) => JSON.parse(l).event === "route.computed");
    expect(routeLines).toHaveLength(1);
    for (const l of lines) expect(l).not.toMatch(/NR2|BEREAVEMENT|YOUNG_CARERS|"pl"|"age"/);
    const entry = JSON.parse(routeLines[0]!);
    expect(entry).toMatchObject({ event: "route.computed", needs: 2 });
    expect(typeof entry.ms).toBe("number");
  });

  it("with a partner offline, reports PARTNER_OFFLINE and keeps its last good services, never NO_SERVICE", async () => {
    await stack.stopPartner("health");
    try {
      await eventually(async () => {
        const res = await gql(stack.gatewayUrl, `{ partnerStatus { partner stale } }`);
        expect(res.data.partnerStatus.find((p: any) => p.partner === "HEALTH").stale).toBe(true);
      });
      const newport = await route({ age: 9, needs: ["ADHD"], localAuthority: NEWPORT });
      expect(needOf(newport, "ADHD").status).toBe("UNKNOWN");
      expect(needOf(newport, "ADHD").gaps.map((g: any) => g.kind)).toContain("PARTNER_OFFLINE");
      expect(needOf(newport, "ADHD").gaps.map((g: any) => g.kind)).not.toContain("NO_SERVICE");
      expect(newport.offlinePartners).toEqual(["HEALTH"]);
      const res = await gql(stack.gatewayUrl, ROUTE, {
        profile: { age: 12, needs: ["ADHD"], localAuthority: NORFOLK },
      });
      const adhd = needOf(res.data.routeChild, "ADHD");
      // Only health's (stale) service could meet it: listed, but never COVERED by it.
      expect(adhd.status).toBe("UNKNOWN");
      expect(adhd.gaps.map((g: any) => g.kind)).toContain("PARTNER_OFFLINE");
      expect(adhd.gaps.map((g: any) => g.kind)).not.toContain("NO_SERVICE");
      // The plan shows the directory's copy of it (name included), flagged stale, without asking
      // the partner that is down.
      expect(adhd.services[0]).toMatchObject({
        stale: true,
        service: { id: expect.stringMatching(/^health:/), name: expect.any(String) },
      });
      expect(res.errors).toBeUndefined();
      // A field only the partner has is null, and the gateway says which partner could not answer.
      const partnerOnly = await gql(
        stack.gatewayUrl,
        `query R($p: ChildProfileInput!) { routeChild(profile: $p) { needs { services { service { name url } } } } }`,
        {
          p: { age: 12, needs: ["ADHD"], localAuthority: NORFOLK },
        },
      );
      expect(
        partnerOnly.errors?.some(
          (e: any) =>
            e.extensions?.code === "PARTNER_UNAVAILABLE" && e.extensions?.partner === "health",
        ),
      ).toBe(true);
    } finally {
      await stack.startPartner("health");
    }
    await eventually(async () => {
      const res = await gql(stack.gatewayUrl, `{ partnerStatus { partner stale } }`);
      expect(res.data.partnerStatus.every((p: any) => !p.stale)).toBe(true);
    });
  });
});

describe("coverage", () => {
  it("shows the need × age-band matrix, gaps and sole providers whose contracts end soon", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ coverage(area: "${NORFOLK}") { localAuthority needs { need cells { ageBand total gap byPartner { partner count } } } gaps endingContracts { service { id name } contractEndDate withinMonths soleProviderFor } } }`,
    );
    expect(res.errors).toBeUndefined();
    const c = res.data.coverage;
    const mh = c.needs.find((n: any) => n.need === "MENTAL_HEALTH");
    const secondary = mh.cells.find((x: any) => x.ageBand === "SECONDARY");
    // CAMHS (health), bereavement (charity) and online counselling (charity) cover 12–15s.
    expect(secondary.total).toBe(3);
    expect(secondary.byPartner).toEqual([
      { partner: "COUNCIL", count: 0 },
      { partner: "CHARITY", count: 2 },
      { partner: "HEALTH", count: 1 },
    ]);
    expect(
      c.needs.find((n: any) => n.need === "YOUTH_JUSTICE").cells.every((x: any) => x.gap),
    ).toBe(true);
    expect(c.gaps).toContain(
      "Youth justice and offending: no service for 12–15 (secondary) in Norfolk",
    );
    expect(c.endingContracts).toEqual([
      {
        service: { id: "charity:bereave-norfolk", name: "Child bereavement support Norfolk" },
        contractEndDate: inMonths(2),
        withinMonths: 6,
        soleProviderFor: ["BEREAVEMENT"],
      },
    ]);
  });
});

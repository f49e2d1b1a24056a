// routeChild's engine over the real embedded index: for each condition that decides whether a
// service can take a child, 3,000 services that fail it (each better placed by wait) and one that
// passes. Filtering after a cut would lose the one; the index filters first, so it is found, and
// when none passes the gap names the condition. Runs against each in-process backend.
import { describe, expect, it } from "vitest";
import { createEmbeddedBackend, createOramaBackend } from "../search/index.ts";
import type { SearchBackend, ServiceDoc } from "../search/types.ts";
import { blankDoc } from "../search/fixture.ts";
import { routeChild, type ChildProfile } from "./route.engine.ts";

const RUTLAND = "E06000017";
const OAKHAM = { lat: 52.67, lng: -0.727 };
const STAMFORD = { lat: 52.652, lng: -0.48 }; // 17 km east of Oakham
const TODAY = "2026-12-01";

function doc(id: string, over: Partial<ServiceDoc> = {}): ServiceDoc {
  return blankDoc(`charity:${id}`, {
    name: id,
    organizationName: "Test",
    needs: ["MENTAL_HEALTH"],
    referralRoutes: ["SELF", "PROFESSIONAL"],
    languages: ["en"],
    deliveryModes: ["IN_PERSON"],
    localAuthorities: [RUTLAND],
    maxAge: 18,
    typicalWaitWeeks: 0,
    location: OAKHAM,
    ...over,
  });
}

const child = (over: Partial<ChildProfile> = {}): ChildProfile => ({
  age: 10,
  needs: ["MENTAL_HEALTH"],
  localAuthority: RUTLAND,
  location: OAKHAM,
  languages: [],
  referral: "PROFESSIONAL_REFERRAL",
  maxTravelKm: null,
  urgency: "ROUTINE",
  senProvision: "NONE",
  today: TODAY,
  ...over,
});

const N = 3000;
// Each case: what the decoys get wrong, what the one match gets right, and the child.
const CASES: {
  condition: string;
  decoy: Partial<ServiceDoc>;
  match: Partial<ServiceDoc>;
  child: Partial<ChildProfile>;
  gap: string;
}[] = [
  {
    condition: "language",
    decoy: {},
    match: { languages: ["en", "pl"], typicalWaitWeeks: 30 },
    child: { languages: ["pl"] },
    gap: "LANGUAGE",
  },
  {
    condition: "referral route",
    decoy: { referralRoutes: ["PROFESSIONAL"] },
    match: { typicalWaitWeeks: 30 },
    child: { referral: "SELF_REFERRAL" },
    gap: "REFERRAL_ROUTE",
  },
  {
    condition: "travel distance",
    decoy: { location: STAMFORD },
    match: { typicalWaitWeeks: 30 },
    child: { maxTravelKm: 10 },
    gap: "OUTSIDE_AREA",
  },
  {
    condition: "accepting referrals",
    decoy: { acceptingReferrals: false },
    match: { typicalWaitWeeks: 30 },
    child: {},
    gap: "NO_CAPACITY",
  },
  {
    condition: "wait within the urgency",
    decoy: { typicalWaitWeeks: 3 },
    match: { typicalWaitWeeks: 2 },
    child: { urgency: "URGENT" },
    gap: "NO_CAPACITY",
  },
  {
    condition: "age",
    decoy: { minAge: 0, maxAge: 4 },
    match: { typicalWaitWeeks: 30 },
    child: {},
    gap: "AGE",
  },
  {
    condition: "status",
    decoy: { status: "TEMPORARILY_CLOSED" },
    match: { typicalWaitWeeks: 30 },
    child: {},
    gap: "TEMPORARILY_CLOSED",
  },
  {
    condition: "contract not ended",
    decoy: { contractEndDate: "2026-11-01" },
    match: { typicalWaitWeeks: 30 },
    child: {},
    gap: "CONTRACT_ENDED",
  },
];

function suite(name: string, make: () => SearchBackend, n: number) {
  describe(`routeChild engine (${name}): ${n} services that cannot take the child, one that can`, () => {
    for (const c of CASES) {
      it(c.condition, async () => {
        const backend = make();
        const decoys = Array.from({ length: n }, (_, i) => doc(`decoy-${i}`, c.decoy));
        await backend.upsert(decoys);
        const deps = { backend, isStale: () => false };
        // Without the match: a gap of the right kind, never NO_SERVICE.
        const none = (await routeChild(child(c.child), deps)).needs[0]!;
        expect(none.services).toEqual([]);
        expect(none.gaps.map((g) => g.kind)).toContain(c.gap);
        expect(none.gaps.map((g) => g.kind)).not.toContain("NO_SERVICE");
        await backend.upsert([doc("match", c.match)]);
        const plan = (await routeChild(child(c.child), deps)).needs[0]!;
        expect(plan.status).toBe("COVERED");
        expect(plan.services.map((s) => s.id)).toEqual(["charity:match"]);
        await backend.close();
      });
    }
  });
}

suite("embedded", () => createEmbeddedBackend(), N);
// Orama indexes slowly; a thousand decoys still sit past any cut a router might make.
suite("orama", () => createOramaBackend(), 1000);

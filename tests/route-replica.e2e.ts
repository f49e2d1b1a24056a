// The gateway's route replica (gateway/route-replica.ts): routeChild answered by the gateway from
// its own copy of the index. Its answers must be the directory's, field for field, on random
// profiles over a generated dataset; anything it is not sure of (a partner field, a field under an
// access rule, a bad profile, a replica not yet synced) goes the federated way; it follows changes
// at the partners, names a partner stopped mid-test as offline, and keeps routing while the
// directory is down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { generateDataset } from "../scripts/generate/dataset.ts";
import { NEED_CODES, PARTNERS } from "../schema/vocabulary.ts";
import { eventually, startTestStack, testGatewayConfig, type TestStack } from "./helpers/stack.ts";

const SERVICE_CARD = /* GraphQL */ `
  id
  partner
  hsdsId
  name
  description
  status
  alert
  needs
  referralRoutes
  deliveryModes
  lastModified
  ageRange {
    minimumAge
    maximumAge
    bands
  }
  capacity {
    acceptingReferrals
    typicalWaitWeeks
    updatedAt
  }
  funding {
    contractEndDate
    funder
  }
  organization {
    name
  }
`;
const SERVICE_PLACES = /* GraphQL */ `
  id
  locations {
    id
    name
    locationType
    confidential
    area
  }
`;
const GAP = /* GraphQL */ `
  kind
  need
  blocking
  message
  nearestAge
  nearestDistanceKm
  partners
  serviceIds
  endedOn
  notices
`;
const ROUTE_ARGS = `($profile: ChildProfileInput!, $options: RouteOptionsInput)`;
/**
 * Every field of a plan the directory answers, in four queries (one would pass the gateway's cost
 * limit): the plan itself, each routed service's card and places (the fields the directory
 * provides), and each routed service's directory copy. (An area's county or service count under a
 * routed service, the directory's field resolvers, is beyond the cost limit at that depth.)
 */
const FULL = [
  /* GraphQL */ `
  query Plan${ROUTE_ARGS} {
    routeChild(profile: $profile, options: $options) {
      needs {
        need
        status
        services {
          service { id name partner }
          coversNeeds
          reasons
          distanceKm
          referralRoutes
          acceptingReferrals
          typicalWaitWeeks
          contractEndDate
          stale
        }
        gaps { ${GAP} }
      }
      gaps {
        kind
        need
        blocking
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
  }`,
  /* GraphQL */ `
  query Cards${ROUTE_ARGS} {
    routeChild(profile: $profile, options: $options) {
      needs { services { service { ${SERVICE_CARD} } } }
    }
  }`,
  /* GraphQL */ `
  query Places${ROUTE_ARGS} {
    routeChild(profile: $profile, options: $options) {
      needs { services { service { ${SERVICE_PLACES} } } }
    }
  }`,
  /* GraphQL */ `
  query Copies${ROUTE_ARGS} {
    routeChild(profile: $profile, options: $options) {
      needs {
        services {
          directoryCopy {
            id
            partner
            name
            organizationName
            status
            needs
            minimumAge
            maximumAge
            localAuthorityCodes
            areas {
              code
              name
            }
            acceptingReferrals
            typicalWaitWeeks
            lastModified
          }
        }
      }
    }
  }`,
];
const SHORT = /* GraphQL */ `
  query Short($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
          }
          stale
          directoryCopy {
            syncedAt
          }
        }
      }
      offlinePartners
    }
  }
`;

interface Answer {
  status: number;
  route: string | null;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(url: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    route: res.headers.get("x-wayfinder-route"),
    body: (await res.json()) as Answer["body"],
  } satisfies Answer;
}

/** A small deterministic generator, so a failing profile can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) as number;
}
const PLACES = [
  { postcode: "NR2 4AB" },
  { postcode: "NP20 1AA" },
  { postcode: "BS5 0AA" },
  { postcode: "IP1 2AA" },
  { localAuthority: "E10000020" },
  { localAuthority: "W06000022" },
  { localAuthority: "E06000023" },
];
function randomProfile(next: () => number) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const needs = [
    ...new Set(Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(NEED_CODES))),
  ];
  const profile: Record<string, unknown> = { age: Math.floor(next() * 20), needs, ...pick(PLACES) };
  if (next() < 0.3) profile.languages = [pick(["pl", "cy", "ur", "ar"])];
  if (next() < 0.3) profile.referral = pick(["SELF_REFERRAL", "PROFESSIONAL_REFERRAL"]);
  if (next() < 0.3) profile.maxTravelKm = pick([5, 10, 25]);
  if (next() < 0.3) profile.urgency = pick(["SOON", "URGENT"]);
  if (next() < 0.2) profile.senProvision = pick(["EHC_PLAN", "SEN_SUPPORT"]);
  const options =
    next() < 0.3 ? { nearbyKm: pick([5, 15, 40]), includeNeighbours: next() < 0.5 } : undefined;
  return { profile, options };
}

/** Until check() gives something truthy (eventually() retries only on a throw). */
const until = <T>(check: () => Promise<T>) =>
  eventually(async () => {
    const v = await check();
    if (!v) throw new Error("not yet");
    return v;
  });

const OPERATOR_TOKEN = "route-replica-operator-token-0123456789";
let stack: TestStack;
/** The same gateway on the same subgraphs with the replica off: every plan from the directory. */
let federated: RunningGateway;

beforeAll(async () => {
  stack = await startTestStack("pglite", {
    dataset: generateDataset({ services: 2000 }),
    env: { OPERATOR_TOKEN },
  });
  federated = await startGateway({
    ...testGatewayConfig(),
    subgraphUrls: {
      ...Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])),
      directory: stack.directory.http.url,
    },
    publicCache: false,
    routeReplica: false,
    host: "127.0.0.1",
    port: 0,
  });
  await until(async () => stack.gateway.routeReplica?.ready);
}, 120_000);
afterAll(async () => {
  await federated?.close();
  await stack?.close();
});

describe("the route replica answers as the directory does", () => {
  it("gives the directory's plan, field for field, for 60 random profiles", async () => {
    const next = rng(20261207);
    let services = 0;
    for (let i = 0; i < 60; i++) {
      const variables = randomProfile(next);
      for (const query of FULL) {
        const [mine, theirs] = await Promise.all([
          post(stack.gatewayUrl, query, variables),
          post(federated.url, query, variables),
        ]);
        const where = `profile ${i}: ${JSON.stringify(variables)}, ${/query (\w+)/.exec(query)![1]}`;
        expect(theirs.route, where).toBeNull();
        expect(JSON.stringify(theirs.body.errors), where).toBeUndefined();
        expect(mine.route, where).toBe("replica");
        expect(mine.body, where).toEqual(theirs.body);
        services += mine.body.data.routeChild.needs.reduce(
          (a: number, n: { services: unknown[] }) => a + n.services.length,
          0,
        );
      }
    }
    // The profiles found services, not only gaps.
    expect(services).toBeGreaterThan(300);
  });

  it("tells operators on /ready that it answers, how many plans and how many it left to the directory", async () => {
    const ready = async (token?: string) =>
      (await (
        await fetch(new URL("/ready", stack.gatewayUrl), {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        })
      ).json()) as Record<string, any>;
    const detail = (await ready(OPERATOR_TOKEN)).routeReplica;
    expect(detail.ready).toBe(true);
    expect(detail.answered).toBeGreaterThan(0);
    expect(detail.federated).toEqual({});
    // Not for the public.
    expect((await ready()).routeReplica).toBeUndefined();
  });

  it("reports when its own copy was last synced with each partner", async () => {
    const r = await post(stack.gatewayUrl, SHORT, {
      profile: { age: 9, needs: ["MENTAL_HEALTH"], localAuthority: "E10000020" },
    });
    expect(r.route).toBe("replica");
    const copies = r.body.data.routeChild.needs.flatMap((n: any) => n.services);
    expect(copies.length).toBeGreaterThan(0);
    for (const s of copies) {
      expect(s.stale).toBe(false);
      expect(Date.now() - Date.parse(s.directoryCopy.syncedAt)).toBeLessThan(60_000);
    }
  });
});

describe("what the replica leaves to the directory", () => {
  const profile = { age: 9, needs: ["ADHD"], localAuthority: "E10000020" };

  it("a plan asking for a field only the partner has (professional referral notes)", async () => {
    const q = `query($profile: ChildProfileInput!) { routeChild(profile: $profile) { needs { services { service { name referralNotes } } } } }`;
    const r = await post(stack.gatewayUrl, q, { profile });
    expect(r.route).toBeNull();
    expect(r.status).toBe(200);
    // Anonymous: the partner refuses the professional-only field, as it always did.
    expect(r.body.errors?.length).toBeGreaterThan(0);
  });

  it("a bad profile, whose error the directory words", async () => {
    const bad = { age: 9, needs: ["ADHD"], localAuthority: "X99" };
    const [mine, theirs] = await Promise.all([
      post(stack.gatewayUrl, SHORT, { profile: bad }),
      post(federated.url, SHORT, { profile: bad }),
    ]);
    expect(mine.route).toBeNull();
    expect(mine.body.errors?.[0]?.message).toMatch(/unknown local authority/);
    expect(mine.body).toEqual(theirs.body);
  });

  it("a profile written into the query text instead of variables (never kept in a compiled query)", async () => {
    const q = `{ routeChild(profile: { age: 9, needs: [ADHD], localAuthority: "E10000020" }) { offlinePartners } }`;
    const r = await post(stack.gatewayUrl, q, {});
    expect(r.route).toBeNull();
    expect(r.body.errors).toBeUndefined();
  });

  it("routeChild beside another root field", async () => {
    const q = `query($profile: ChildProfileInput!) { needs { code } routeChild(profile: $profile) { offlinePartners } }`;
    const r = await post(stack.gatewayUrl, q, { profile });
    expect(r.route).toBeNull();
    expect(r.body.errors).toBeUndefined();
  });
});

describe("the replica follows the partners", () => {
  it("names a partner stopped mid-test as offline, and its services as stale, as the directory does", async () => {
    const profile = { age: 9, needs: ["MENTAL_HEALTH", "ADHD"], postcode: "NR2 4AB" };
    await stack.stopPartner("health");
    try {
      const r = await until(async () => {
        const a = await post(stack.gatewayUrl, SHORT, { profile });
        return a.body.data?.routeChild.offlinePartners.includes("HEALTH") ? a : undefined;
      });
      expect(r.route).toBe("replica");
      const health = r.body.data.routeChild.needs
        .flatMap((n: any) => n.services)
        .filter((s: any) => s.service.id.startsWith("health:"));
      expect(health.length).toBeGreaterThan(0);
      expect(health.every((s: any) => s.stale)).toBe(true);
      // The directory learns it on its own (its next sync or liveness check).
      await until(async () => {
        const theirs = await post(federated.url, SHORT, { profile });
        return theirs.body.data?.routeChild.offlinePartners.includes("HEALTH");
      });
    } finally {
      await stack.startPartner("health");
    }
    await until(async () => {
      const a = await post(stack.gatewayUrl, SHORT, { profile });
      return a.body.data?.routeChild.offlinePartners.length === 0;
    });
  });
});

describe("while the directory is down", () => {
  it("the gateway still routes a child from its replica (the directory's own answers fail)", async () => {
    const profile = { age: 9, needs: ["MENTAL_HEALTH", "ADHD"], postcode: "NR2 4AB" };
    await stack.directory.http.close();
    try {
      // A search is the directory's to answer: it fails now (a phrase no cache has seen).
      const search = await post(
        stack.gatewayUrl,
        `query($q: String) { searchServices(query: $q, first: 1) { totalCount } }`,
        { q: `directory down ${Date.now()}` },
      );
      expect(search.body.errors?.length).toBeGreaterThan(0);
      const r = await post(stack.gatewayUrl, SHORT, { profile });
      expect(r.route).toBe("replica");
      expect(r.body.errors).toBeUndefined();
      const routed = r.body.data.routeChild.needs.flatMap((n: any) => n.services);
      expect(routed.length).toBeGreaterThan(0);
      expect(r.body.data.routeChild.offlinePartners).toEqual([]);
    } finally {
      await stack.restartDirectory();
    }
  });
});

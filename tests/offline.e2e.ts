// A partner offline, honestly, through the gateway: a need only the offline partner can meet is
// UNKNOWN with a PARTNER_OFFLINE gap (never COVERED by an entry that cannot be shown, never
// NO_SERVICE), its stale entries still show the directory's copy, and all of this holds right after
// the directory restarts while the partner is still down (its state store keeps checkpoints and
// copies). The ORUK API answers 503 (Retry-After) for what needs the offline partner, never a 404
// or a page without it. Sync runs once a minute here, so only the request-time liveness check can notice.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { startStack, type Stack } from "../scripts/stack.ts";
import { eventually, gql, testStackConfig } from "./helpers/stack.ts";
import { CUMBERLAND, CUMBRIA } from "./fixtures/cumbria.ts";

const dbs = {} as Record<PartnerId, Db>;
let stack: Stack;
let stateDir: string;
beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "wayfinder-directory-state-"));
  for (const p of PARTNERS) {
    dbs[p] = await openTestPglite();
    await importHsds(dbs[p], validateHsds(CUMBRIA[p]));
  }
  stack = await startStack(
    testStackConfig({ syncIntervalMs: 60_000, directoryStateDir: stateDir }),
    { dbs },
  );
});
afterAll(async () => {
  await stack?.close();
  for (const p of PARTNERS) await dbs[p]?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const ROUTE = /* GraphQL */ `
  query Route($la: String!) {
    routeChild(profile: { age: 9, needs: [ADHD, FAMILY_STRESS], localAuthority: $la }) {
      needs {
        need
        status
        services {
          stale
          service {
            id
            name
          }
          directoryCopy {
            id
            name
            partner
            needs
            localAuthorityCodes
            organizationName
          }
        }
        gaps {
          kind
          partners
          serviceIds
        }
      }
      offlinePartners
    }
  }
`;
const SEARCH = /* GraphQL */ `
  query Search($la: [String!]) {
    searchServices(filter: { localAuthorities: $la }, sort: NAME) {
      edges {
        stale
        node {
          id
          name
        }
        directoryCopy {
          id
          name
          partner
          needs
          localAuthorityCodes
        }
      }
    }
  }
`;

const route = async () => (await gql(stack.gatewayUrl, ROUTE, { la: CUMBERLAND })).data.routeChild;
const need = (plan: any, code: string) => plan.needs.find((n: any) => n.need === code);
const HEALTH_COPY = {
  id: "health:adhd-carlisle",
  name: "Carlisle Neurodevelopmental Service",
  partner: "HEALTH",
  needs: ["ADHD", "AUTISM"],
  localAuthorityCodes: [CUMBERLAND],
};

function expectHonestlyOffline(plan: any) {
  expect(plan.offlinePartners).toEqual(["HEALTH"]);
  const adhd = need(plan, "ADHD");
  expect(adhd.status).toBe("UNKNOWN");
  expect(adhd.gaps).toEqual([
    { kind: "PARTNER_OFFLINE", partners: ["HEALTH"], serviceIds: ["health:adhd-carlisle"] },
  ]);
  // What the plan shows is the directory's copy (the partner is not asked), flagged stale.
  expect(adhd.services).toEqual([
    {
      stale: true,
      service: { id: HEALTH_COPY.id, name: HEALTH_COPY.name },
      directoryCopy: {
        ...HEALTH_COPY,
        organizationName: "North Cumbria Integrated Care NHS Foundation Trust",
      },
    },
  ]);
  // The council's need is still met by a partner that answers.
  expect(need(plan, "FAMILY_STRESS")).toMatchObject({ status: "COVERED", gaps: [] });
  expect(need(plan, "FAMILY_STRESS").services[0]).toMatchObject({
    stale: false,
    service: { id: "council:fh-carlisle" },
  });
}

async function expectStaleSearchEntry() {
  const res = await gql(stack.gatewayUrl, SEARCH, { la: [CUMBERLAND] });
  const edges = res.data.searchServices.edges;
  expect(edges).toHaveLength(3);
  const health = edges.find((e: any) => e.directoryCopy.partner === "HEALTH");
  // Its hit shows the directory's copy, not `node: null`, and says it is stale.
  expect(health).toEqual({
    stale: true,
    node: { id: HEALTH_COPY.id, name: HEALTH_COPY.name },
    directoryCopy: HEALTH_COPY,
  });
  expect(
    edges
      .filter((e: any) => !e.stale)
      .map((e: any) => e.node.id)
      .sort(),
  ).toEqual(["charity:yc-eden", "council:fh-carlisle"]);
}

describe("a partner offline", () => {
  it("routes from live partners only; the offline partner's need is UNKNOWN, never COVERED, and its entries show the directory's copy", async () => {
    const before = await route();
    expect(before.offlinePartners).toEqual([]);
    expect(need(before, "ADHD")).toMatchObject({ status: "COVERED", gaps: [] });
    expect(need(before, "ADHD").services[0]).toMatchObject({
      stale: false,
      service: { id: "health:adhd-carlisle", name: HEALTH_COPY.name },
      directoryCopy: HEALTH_COPY,
    });

    await stack.stopPartner("health");
    // No sync runs for a minute: the request itself finds out that health is down.
    await eventually(async () => expectHonestlyOffline(await route()));
    await expectStaleSearchEntry();
  });

  it("the ORUK API answers 503 with Retry-After for what it cannot give whole, never a 404 or a short page", async () => {
    const oruk = async (p: string) => {
      const res = await fetch(new URL(p, stack.gatewayUrl));
      return {
        status: res.status,
        retryAfter: res.headers.get("retry-after"),
        body: await res.json(),
      };
    };
    // The offline partner's own service: not "no such service", which a feed reader would take
    // for a deletion.
    const own = await oruk("/oruk/services/adhd-carlisle");
    expect(own).toMatchObject({ status: 503, retryAfter: "30" });
    expect(own.body.error).toContain("health");
    // A page that would hold its service, and the organizations list (one per partner).
    expect((await oruk("/oruk/services?per_page=50")).status).toBe(503);
    expect((await oruk("/oruk/organizations")).status).toBe(503);
    // An id that is no partner's: health cannot say it has none, so 503 too.
    expect((await oruk("/oruk/services/no-such-service")).status).toBe(503);
    // What the partners that answer hold is served as usual.
    const council = await oruk("/oruk/services/fh-carlisle");
    expect(council.status).toBe(200);
    expect(council.body.name).toBe("Carlisle Family Hub");
    const page = await oruk("/oruk/services?taxonomy_term_id=FAMILY_STRESS");
    expect(page.status).toBe(200);
    expect(page.body.contents.map((x: any) => x.id)).toEqual(["fh-carlisle"]);
  });

  it("stays honest right after the directory restarts while the partner is still down", async () => {
    const cursor = stack.directory.sync.status.get("council")!.cursor;
    await stack.restartDirectory();
    expect(stack.directory.sync.status.get("council")!.cursor).toBe(cursor);
    expect(stack.directory.sync.state.persistent).toBe(true);

    expectHonestlyOffline(await route());
    await expectStaleSearchEntry();
    const status = (
      await gql(stack.gatewayUrl, `{ partnerStatus { partner reachable stale lastSyncAt } }`)
    ).data.partnerStatus;
    expect(status.find((s: any) => s.partner === "HEALTH")).toMatchObject({
      reachable: false,
      stale: true,
      lastSyncAt: expect.any(String),
    });
  });

  it("is COVERED again once the partner is back", async () => {
    await stack.startPartner("health");
    // Every partner answers again: an unknown id is a plain 404, the offline one's service is back.
    await eventually(async () => {
      expect((await fetch(new URL("/oruk/services/adhd-carlisle", stack.gatewayUrl))).status).toBe(
        200,
      );
    });
    expect((await fetch(new URL("/oruk/services/no-such-service", stack.gatewayUrl))).status).toBe(
      404,
    );
    await eventually(async () => {
      const plan = await route();
      expect(plan.offlinePartners).toEqual([]);
      expect(need(plan, "ADHD")).toMatchObject({ status: "COVERED", gaps: [] });
      expect(need(plan, "ADHD").services[0]).toMatchObject({
        stale: false,
        service: { name: HEALTH_COPY.name },
      });
    });
  });
});

describe("a directory restarted over copies a partner no longer holds", () => {
  it("checks them against the partner on its first pass, not a reconcile interval later", async () => {
    const ids = async () =>
      (await gql(stack.gatewayUrl, SEARCH, { la: [CUMBERLAND] })).data.searchServices.edges.map(
        (e: any) => e.directoryCopy.id,
      );
    expect(await ids()).toContain("council:fh-carlisle");
    // The council's database loses a service its feed never reports: restored from a backup
    // taken before it existed, say. Only a comparison with the council's inventory can tell.
    await dbs.council.query(`DELETE FROM service WHERE id = 'fh-carlisle'`);
    await stack.restartDirectory();
    // The restarted directory restores its copies, the council's among them, and reconciles on
    // its first pass (this stack's reconcile interval is the default five minutes).
    await eventually(async () => expect(await ids()).not.toContain("council:fh-carlisle"));
    const page = await fetch(new URL("/oruk/services?per_page=50", stack.gatewayUrl));
    expect(page.status).toBe(200);
    expect(((await page.json()) as any).contents.map((s: any) => s.id)).not.toContain(
      "fh-carlisle",
    );
  });
});

// The same stack on real PostgreSQL (one schema per partner): the data layer must behave the same
// on PGlite and PostgreSQL. Mandatory in CI (WAYFINDER_REQUIRE_POSTGRES=1), skipped elsewhere
// when no server is reachable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasPostgres } from "./helpers/postgres.ts";
import { gql, startTestStack } from "./helpers/stack.ts";
import { NEWPORT } from "./fixtures/dataset.ts";

describe.skipIf(!hasPostgres)("federated core on PostgreSQL", () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  beforeAll(async () => {
    stack = await startTestStack("postgres");
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers a cross-partner query from PostgreSQL-backed partners", async () => {
    expect(stack.dbs.council.kind).toBe("postgres");
    const res = await gql(
      stack.gatewayUrl,
      `{ searchServices(filter: { localAuthorities: ["${NEWPORT}"] }, sort: NAME) { totalCount edges { node { id partner name languages { code } schedules { byDay opensAt closesAt } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.searchServices.edges.map((e: any) => e.node.id)).toEqual([
      "health:camhs-newport",
      "health:salt-newport",
      "council:send-newport",
      "charity:online-counselling",
    ]);
    const send = res.data.searchServices.edges[2].node;
    expect(send.languages.map((l: any) => l.code)).toEqual(["en", "cy"]);
    expect(send.schedules).toEqual([
      { byDay: ["MO", "TU", "WE", "TH", "FR"], opensAt: "09:00", closesAt: "17:00" },
    ]);
  });

  it("joins the co-delivered service across council and charity databases", async () => {
    const res = await gql(
      stack.gatewayUrl,
      `{ service(id: "council:fh-norwich") { ... on CouncilService { coDelivery { staffShare organization { name } } } } }`,
    );
    expect(res.data.service.coDelivery).toEqual([
      { staffShare: 0.5, organization: { name: "Barnardo's" } },
    ]);
  });
});

// The gateway's public read cache, end to end on the fixed dataset: an anonymous read nothing has
// changed since reaches no partner (recorded loader batches) and no directory; a change made
// through the gateway, or straight in a partner's database (seen only by the change feed), shows
// in the next anonymous reads; a professional's or admin's answer is never shared with the public
// or the other way round; a child's profile is never a key or a value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack } from "./helpers/stack.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { NORFOLK } from "./fixtures/dataset.ts";

const batches: string[] = [];
let stack: Awaited<ReturnType<typeof startTestStack>>;
let professional: string;
let councilAdmin: string;

beforeAll(async () => {
  stack = await startTestStack("pglite", { observeBatches: (loader) => batches.push(loader) });
  professional = await mintDevToken({ role: "professional", sub: "dan@school.example" });
  councilAdmin = await mintDevToken({
    role: "partner-admin",
    partner: "council",
    sub: "alice@norfolk.example",
  });
  await eventually(async () => expect(stack.gateway.publicCache?.connected).toBe(true));
});
afterAll(async () => {
  await stack?.close();
});

async function call(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    cache: res.headers.get("x-wayfinder-cache"),
    body: (await res.json()) as { data?: any; errors?: any[] },
  };
}

const SERVICE = /* GraphQL */ `
  query Card($id: ID!) {
    service(id: $id) {
      id
      name
      version
      capacity {
        acceptingReferrals
        typicalWaitWeeks
      }
      contacts {
        name
        phone
      }
    }
  }
`;
const SEARCH = /* GraphQL */ `
  query Area($la: [String!]) {
    searchServices(filter: { localAuthorities: $la }, sort: NAME, first: 20) {
      totalCount
      edges {
        node {
          id
          name
          capacity {
            typicalWaitWeeks
          }
          contacts {
            phone
          }
        }
      }
    }
  }
`;
const NOTES = /* GraphQL */ `
  query Notes($id: ID!) {
    service(id: $id) {
      name
      referralNotes
    }
  }
`;
const FH = "council:fh-norwich";

describe("the public read cache", () => {
  it("answers a repeated anonymous service read and search without asking any partner", async () => {
    const first = await call(SERVICE, { id: FH });
    expect(first.body.errors).toBeUndefined();
    expect(first.cache).toBe("miss");
    const search1 = await call(SEARCH, { la: [NORFOLK] });
    expect(search1.cache).toBe("miss");
    expect(batches.length).toBeGreaterThan(0);

    batches.length = 0;
    const again = await call(SERVICE, { id: FH });
    const search2 = await call(SEARCH, { la: [NORFOLK] });
    expect(again.cache).toBe("hit");
    expect(search2.cache).toBe("hit");
    expect(again.body).toEqual(first.body);
    expect(search2.body).toEqual(search1.body);
    // No partner loaded anything for the cached answers.
    expect(batches).toEqual([]);
  });

  it("shows an admin's update through the gateway in the next anonymous reads", async () => {
    const before = (await call(SERVICE, { id: FH })).body.data.service;
    const wait = (before.capacity.typicalWaitWeeks ?? 0) + 7;
    const updated = await call(
      /* GraphQL */ `
        mutation U($id: ID!, $v: Int!, $w: Int!) {
          updateCouncilService(
            id: $id
            expectedVersion: $v
            input: { capacity: { acceptingReferrals: true, typicalWaitWeeks: $w } }
          ) {
            version
          }
        }
      `,
      { id: FH, v: before.version, w: wait },
      councilAdmin,
    );
    expect(updated.body.errors).toBeUndefined();
    // The partner's answer at once (the mutation dropped cached reads), search once the directory
    // has synced (the feed drops the search entries).
    const after = await call(SERVICE, { id: FH });
    expect(after.cache).toBe("miss");
    expect(after.body.data.service).toMatchObject({
      version: before.version + 1,
      capacity: { typicalWaitWeeks: wait },
    });
    await eventually(async () => {
      const s = await call(SEARCH, { la: [NORFOLK] });
      expect(
        s.body.data.searchServices.edges.find((e: any) => e.node.id === FH).node.capacity
          .typicalWaitWeeks,
      ).toBe(wait);
    });
  });

  it("drops entries when the change feed reports a change made outside the gateway", async () => {
    // Warm both entries, then change the partner's database directly: only the feed can tell.
    await call(SERVICE, { id: FH });
    await call(SEARCH, { la: [NORFOLK] });
    expect((await call(SERVICE, { id: FH })).cache).toBe("hit");
    await stack.dbs.council.query(
      `UPDATE service SET name = 'Norwich Family Hub (renamed)' WHERE id = 'fh-norwich'`,
    );
    await eventually(async () => {
      const read = await call(SERVICE, { id: FH });
      expect(read.body.data.service.name).toBe("Norwich Family Hub (renamed)");
      const s = await call(SEARCH, { la: [NORFOLK] });
      expect(s.body.data.searchServices.edges.map((e: any) => e.node.name)).toContain(
        "Norwich Family Hub (renamed)",
      );
    });
    // A change to another service leaves a service read's entry alone, but drops searches.
    expect((await call(SERVICE, { id: FH })).cache).toBe("hit");
    expect((await call(SEARCH, { la: [NORFOLK] })).cache).toBe("hit");
    await stack.dbs.health.query(
      `UPDATE service SET name = name || ' ' WHERE id = 'camhs-norwich'`,
    );
    await eventually(async () =>
      expect((await call(SEARCH, { la: [NORFOLK] })).cache).toBe("miss"),
    );
    expect((await call(SERVICE, { id: FH })).cache).toBe("hit");
  });

  it("never shares an entry between the public and a professional or admin", async () => {
    const cache = stack.gateway.publicCache!;
    cache.clear();
    // A professional's and an admin's reads neither fill the cache nor are answered from it.
    for (const token of [professional, councilAdmin]) {
      const notes = await call(NOTES, { id: FH }, token);
      expect(notes.cache).toBeNull();
      expect(notes.body.data.service.referralNotes).toMatch(/consent/);
      expect((await call(SERVICE, { id: FH }, token)).cache).toBeNull();
    }
    expect(cache.stats().entries).toBe(0);
    // So the public asking the same gets its own answer: no notes (refused), nothing a professional saw.
    const pub = await call(NOTES, { id: FH });
    expect(pub.body.data.service.referralNotes).toBeNull();
    expect(pub.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // A public entry is never served to a professional either: they still get the partner's answer.
    expect((await call(SERVICE, { id: FH })).cache).toBe("miss");
    expect((await call(SERVICE, { id: FH })).cache).toBe("hit");
    const pro = await call(NOTES, { id: FH }, professional);
    expect(pro.cache).toBeNull();
    expect(pro.body.data.service.referralNotes).toMatch(/consent/);
    expect((await call(SERVICE, { id: FH }, professional)).cache).toBeNull();
    expect(cache.values().some((v) => v.includes("consent"))).toBe(false);
  });

  it("never keeps a child's profile: routeChild is neither a key nor a value, even with cacheable fields beside it", async () => {
    stack.gateway.publicCache!.clear();
    const ROUTE = /* GraphQL */ `
      query R($p: ChildProfileInput!) {
        routeChild(profile: $p) {
          needs {
            need
            status
            services {
              service {
                id
                name
              }
            }
          }
        }
        needs {
          code
        }
      }
    `;
    const profile = { age: 9, needs: ["MENTAL_HEALTH", "FAMILY_STRESS"], postcode: "NR2 4AB" };
    const a = await call(ROUTE, { p: profile });
    const b = await call(ROUTE, { p: profile });
    expect(a.body.errors).toBeUndefined();
    expect(a.cache).toBeNull();
    expect(b.cache).toBeNull();
    expect(stack.gateway.publicCache!.stats().entries).toBe(0);
    expect(stack.gateway.publicCache!.values().join("")).not.toMatch(/NR2 4AB|routeChild/);
  });
});

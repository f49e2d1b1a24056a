// Attacks 2 and 3: an import silently making a refuge public, and the index keeping an exact
// position after its location became confidential. Confidentiality is sticky: only an explicit
// false with --allow-unhide, or a partner admin's audited mutation, makes a location public; and
// every service at a location is re-derived in search when its confidentiality changes.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack } from "../helpers/stack.ts";
import { ROOT } from "../helpers/processes.ts";
import { mintDevToken } from "../../gateway/auth.ts";
import { openDb } from "../../subgraphs/kit/db/db.ts";
import { importHsds, UnhideRefusedError } from "../../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../../subgraphs/kit/hsds/validate.ts";
import { DATASET } from "../fixtures/dataset.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack("pglite");
});
afterAll(async () => {
  await stack?.close();
});

async function post(query: string, variables?: Record<string, unknown>, token?: string) {
  const res = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as {
    data?: any;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
/** The fixture refuge; as `id`, with its own child ids (a bundle may not share them). */
function refugeService(id = "refuge-norfolk") {
  const svc = clone((DATASET.charity as any).services.find((s: any) => s.id === "refuge-norfolk"));
  if (id === svc.id) return svc;
  svc.id = id;
  for (const list of [
    "service_areas",
    "schedules",
    "contacts",
    "languages",
    "service_at_locations",
  ])
    for (const child of svc[list] ?? []) child.id = `${id}-${child.id}`;
  for (const c of svc.contacts ?? []) for (const ph of c.phones ?? []) ph.id = `${id}-${ph.id}`;
  return svc;
}
/** The charity bundle's refuge, as a plain ORUK feed would carry it: no wayfinder.confidential. */
function plainRefugeBundle(flag?: boolean) {
  const svc = refugeService();
  const loc = svc.service_at_locations[0].location;
  delete loc.wayfinder;
  if (flag !== undefined) loc.wayfinder = { confidential: flag };
  svc.name = "Norfolk Refuge (renamed by the feed)";
  return {
    organizations: clone((DATASET.charity as any).organizations),
    services: [svc],
    co_deliveries: [],
  };
}

const REFUGE = /* GraphQL */ `
  {
    service(id: "charity:refuge-norfolk") {
      name
      locations {
        confidential
        latitude
        longitude
        address {
          postalCode
        }
      }
    }
  }
`;

describe("attack 2: an import silently makes refuges public", () => {
  it("keeps a location confidential when a re-import leaves the flag out, or lists it twice with and without", async () => {
    await importHsds(stack.dbs.charity, validateHsds(plainRefugeBundle()));
    const twice = plainRefugeBundle();
    const other = refugeService("refuge-outreach");
    other.name = "Refuge outreach";
    other.service_at_locations[0].id = "refuge-outreach-sal";
    delete other.service_at_locations[0].location.wayfinder;
    twice.services.push(other);
    twice.services[0].service_at_locations[0].location.wayfinder = { confidential: true };
    await importHsds(stack.dbs.charity, validateHsds(twice));
    const [row] = await stack.dbs.charity.query<{ confidential: boolean }>(
      `SELECT confidential FROM location WHERE id = 'loc-refuge'`,
    );
    expect(row!.confidential).toBe(true);
    await eventually(async () => {
      const r = await post(REFUGE);
      expect(r.data.service.name).toBe("Norfolk Refuge (renamed by the feed)");
      expect(r.data.service.locations[0]).toEqual({
        confidential: true,
        latitude: null,
        longitude: null,
        address: null,
      });
    });
  });

  it("refuses an explicit false without allowUnhide, naming the location and writing nothing", async () => {
    const bundle = plainRefugeBundle(false);
    bundle.services[0].name = "Should never be written";
    const err = await importHsds(stack.dbs.charity, validateHsds(bundle)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnhideRefusedError);
    expect((err as UnhideRefusedError).locations.map((l) => l.id)).toEqual(["loc-refuge"]);
    const [svc] = await stack.dbs.charity.query<{ name: string }>(
      `SELECT name FROM service WHERE id = 'refuge-norfolk'`,
    );
    expect(svc!.name).not.toBe("Should never be written");
  });

  it("the CLI prints the locations and exits non-zero; --allow-unhide unhides and audits", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wayfinder-unhide-"));
    try {
      const file = (name: string, body: unknown) => {
        const p = path.join(dir, name);
        return writeFile(p, JSON.stringify(body)).then(() => p);
      };
      const seeded = await file("seed.json", { ...plainRefugeBundle(true) });
      const unhide = await file("unhide.json", plainRefugeBundle(false));
      const env = { ...process.env, DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "warn" };
      const run = (...args: string[]) =>
        spawnSync(
          process.execPath,
          ["scripts/launch.mjs", "scripts/import.ts", "--partner", "charity", ...args],
          { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 },
        );
      expect(run(seeded).status).toBe(0);
      const refused = run(unhide);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain("loc-refuge");
      expect(refused.stderr).toContain("--allow-unhide");
      expect(refused.stderr).toContain("Nothing was imported");
      const db = await openDb({ dataDir: path.join(dir, "data", "charity") });
      try {
        expect(
          (
            await db.query<{ confidential: boolean }>(
              `SELECT confidential FROM location WHERE id = 'loc-refuge'`,
            )
          )[0]!.confidential,
        ).toBe(true);
      } finally {
        await db.close();
      }
      const allowed = run(unhide, "--allow-unhide");
      expect(allowed.status, allowed.stderr).toBe(0);
      const after = await openDb({ dataDir: path.join(dir, "data", "charity") });
      try {
        expect(
          (
            await after.query<{ confidential: boolean }>(
              `SELECT confidential FROM location WHERE id = 'loc-refuge'`,
            )
          )[0]!.confidential,
        ).toBe(false);
        const audit = await after.query<{
          actor: string;
          confidential_from: boolean;
          confidential_to: boolean;
        }>(`SELECT actor, confidential_from, confidential_to FROM location_audit`);
        expect(audit).toEqual([
          { actor: "import", confidential_from: true, confidential_to: false },
        ]);
      } finally {
        await after.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Services within `km` of a point, as anyone can ask. */
async function near(lat: number, lng: number, km: number): Promise<string[]> {
  const r = await post(
    /* GraphQL */ `
      query ($lat: Float!, $lng: Float!, $km: Float!) {
        searchServices(first: 50, near: { latitude: $lat, longitude: $lng, radiusKm: $km }) {
          edges {
            node {
              id
            }
          }
        }
      }
    `,
    { lat, lng, km },
  );
  expect(r.errors).toBeUndefined();
  return r.data.searchServices.edges.map((e: any) => e.node.id);
}

describe("attack 3: the index keeps an exact position after its location becomes confidential", () => {
  const SHARED = { lat: 52.6301, lng: 1.3002 };
  const atShared = (id: string, confidential?: boolean) => {
    const svc = refugeService(id);
    svc.name = `Shared place service ${id}`;
    svc.service_at_locations = [
      {
        id: `${id}-sal`,
        location: {
          id: "loc-shared",
          name: "Shared house",
          location_type: "physical",
          latitude: SHARED.lat,
          longitude: SHARED.lng,
          addresses: [
            {
              id: "loc-shared-addr",
              address_1: "2 Shared Street",
              city: "Norwich",
              state_province: "",
              postal_code: "NR1 1AA",
              country: "GB",
              address_type: "physical",
            },
          ],
          ...(confidential === undefined ? {} : { wayfinder: { confidential } }),
        },
      },
    ];
    return svc;
  };
  const orgs = () => clone((DATASET.charity as any).organizations);

  it("re-derives every service at the location, not only the one the import carried", async () => {
    await importHsds(
      stack.dbs.charity,
      validateHsds({
        organizations: orgs(),
        services: [atShared("shared-a"), atShared("shared-b")],
        co_deliveries: [],
      }),
    );
    await eventually(async () =>
      expect((await near(SHARED.lat, SHARED.lng, 0.1)).sort()).toEqual([
        "charity:shared-a",
        "charity:shared-b",
      ]),
    );
    // Only shared-a is in the next import; the location is now a refuge.
    await importHsds(
      stack.dbs.charity,
      validateHsds({
        organizations: orgs(),
        services: [atShared("shared-a", true)],
        co_deliveries: [],
      }),
    );
    await eventually(
      async () => expect(await near(SHARED.lat, SHARED.lng, 0.1)).toEqual([]),
      20_000,
    );
  });

  it("a partner admin's audited mutation is the way to unhide, and re-derives the index too", async () => {
    const mutation = /* GraphQL */ `
      mutation ($c: Boolean!) {
        setCharityLocationConfidential(
          id: "loc-shared"
          confidential: $c
          reason: "Moved out; now a public drop-in"
        ) {
          locationId
          confidential
          changed
          services
        }
      }
    `;
    const anonymous = await post(mutation, { c: false });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const councilAdmin = await mintDevToken({
      role: "partner-admin",
      partner: "council",
      sub: "council-admin",
    });
    expect((await post(mutation, { c: false }, councilAdmin)).errors?.[0]?.extensions?.code).toBe(
      "FORBIDDEN",
    );
    const charityAdmin = await mintDevToken({
      role: "partner-admin",
      partner: "charity",
      sub: "charity-admin-7",
    });
    const r = await post(mutation, { c: false }, charityAdmin);
    expect(r.errors).toBeUndefined();
    expect(r.data.setCharityLocationConfidential).toEqual({
      locationId: "loc-shared",
      confidential: false,
      changed: true,
      services: 2,
    });
    const audit = await stack.dbs.charity.query<{ actor: string; reason: string }>(
      `SELECT actor, reason FROM location_audit WHERE location_id = 'loc-shared'`,
    );
    expect(audit).toEqual([
      { actor: "charity-admin-7", reason: "Moved out; now a public drop-in" },
    ]);
    await eventually(
      async () =>
        expect((await near(SHARED.lat, SHARED.lng, 0.1)).sort()).toEqual([
          "charity:shared-a",
          "charity:shared-b",
        ]),
      20_000,
    );
    // Hiding again the same way.
    expect(
      (await post(mutation, { c: true }, charityAdmin)).data.setCharityLocationConfidential.changed,
    ).toBe(true);
    await eventually(
      async () => expect(await near(SHARED.lat, SHARED.lng, 0.1)).toEqual([]),
      20_000,
    );
  });
});

// The ORUK read API at the gateway (/oruk/): every endpoint and parameter validated against both
// official OpenAPI documents with openapi-backend, open-data headers, masking of confidential
// locations, and a round trip back through `--url` pulling.
import { existsSync, readFileSync } from "node:fs";
import addFormatsModule from "ajv-formats";
import path from "node:path";
import $RefParser from "@apidevtools/json-schema-ref-parser";
import { OpenAPIBackend } from "openapi-backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../scripts/generate/dataset.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { pullFeed } from "../subgraphs/kit/hsds/pull.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { eventually, gql, startTestStack } from "./helpers/stack.ts";
import { serviceAtLocationId, uuidFor } from "../schema/hsds-ids.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures");
const SCHEMA_DIR = path.resolve(import.meta.dirname, "..", "schema", "hsds3");
const DOCS = {
  hsds: path.join(FIXTURES, "hsds3-examples", "hsds-3.0-openapi.json"),
  oruk: path.join(FIXTURES, "oruk-uk-profile-examples", "oruk-profile-openapi.json"),
};

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: unknown) => unknown;

/**
 * The HSDS document points its schemas at raw.githubusercontent.com (openreferral/specification,
 * branch 3.0); there is no network here, so they are read from schema/hsds3, the same files at
 * the same commit. `compiled/x_list.json` are copied as published; `compiled/service.json` and
 * `compiled/organization.json` are service.json and organization.json with their references
 * inlined, which is what dereferencing does, so the referencing files stand in for them.
 */
const SPEC = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/";
function readLocal(url: string) {
  if (!url.startsWith(SPEC)) throw new Error(`no local copy of ${url} (no network in tests)`);
  const rel = url.slice(SPEC.length);
  for (const candidate of [rel, path.basename(rel)]) {
    const file = path.join(SCHEMA_DIR, candidate);
    if (existsSync(file)) return readFileSync(file, "utf8");
  }
  throw new Error(`no local copy of ${url}`);
}

/** RFC 7386 JSON Merge Patch: how an HSDS profile's openapi.json applies to the HSDS document. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The UK profile's openapi.json is a profile in the HSDS sense: a merge patch over the HSDS
 * document (it adds parameters and removes /organizations with null), so the profile's API is
 * the patched document. Its time parameters say `"type": "time"`, which is no JSON Schema type
 * and no ajv can compile; they are read as what they mean, a time of day as HSDS schedules write
 * opens_at ("09:00", "09:00:00"; not RFC 3339's full-time with a zone).
 */
function orukProfileDoc(hsds: Record<string, any>) {
  const profile = JSON.parse(readFileSync(DOCS.oruk, "utf8")) as Record<string, any>;
  for (const param of Object.values(profile.components.parameters) as any[])
    if (param.schema?.type === "time")
      param.schema = { type: "string", pattern: "^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$" };
  return mergePatch(hsds, profile) as Record<string, any>;
}

async function loadDoc(doc: Record<string, any>) {
  delete doc.servers;
  const deref = await $RefParser.dereference(`${SPEC}openapi.json`, doc, {
    resolve: {
      http: { order: 1, canRead: /^https?:/, read: (f: { url: string }) => readLocal(f.url) },
      file: { canRead: true, read: (f: { url: string }) => readLocal(f.url) },
    },
  } as never);
  const api = new OpenAPIBackend({
    // A deep copy: openapi-backend's decycle turns every object seen twice (shared `required`
    // arrays included) into a $ref, which ajv then refuses; the tree has no cycles to keep.
    definition: JSON.parse(JSON.stringify(deref)),
    // quick: its definition check knows only OpenAPI 3.0 and, failing on the HSDS 3.1 document,
    // would leave no operations at all (what made last stop's test find nothing to validate).
    quick: true,
    validate: true,
    strict: true,
    // validateSchema: the HSDS schemas carry datapackage keywords; formats are checked.
    ajvOpts: { strict: false, validateSchema: false, allErrors: true },
    customizeAjv: (ajv: unknown) => {
      addFormats(ajv);
      // The HSDS document spells modified_after's format "datetime": what it means is date-time.
      (ajv as { addFormat(name: string, test: (s: string) => boolean): void }).addFormat(
        "datetime",
        (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v),
      );
      return ajv;
    },
  } as never);
  await api.init();
  return api;
}

const data = generateDataset();
let stack: Awaited<ReturnType<typeof startTestStack>>;
let apis: { name: string; api: OpenAPIBackend }[];
let base: string;

beforeAll(async () => {
  stack = await startTestStack("pglite", { dataset: data });
  base = new URL(stack.gatewayUrl).origin;
  apis = [
    { name: "HSDS 3.0", api: await loadDoc(JSON.parse(readFileSync(DOCS.hsds, "utf8"))) },
    {
      name: "ORUK profile",
      api: await loadDoc(orukProfileDoc(JSON.parse(readFileSync(DOCS.hsds, "utf8")))),
    },
  ];
}, 240_000);
afterAll(async () => {
  await stack?.close();
});

async function get(p: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${p}`, { headers });
  const text = await res.text();
  return { res, body: text ? JSON.parse(text) : null };
}

/**
 * What the documents that describe the operation find wrong: the response against every one of
 * them, the request against each that defines all of its parameters (the UK profile replaces
 * /services' parameter list, so organization_id and modified_after are HSDS's alone), and at
 * least one must.
 */
function problems(p: string, status: number, body: unknown): string[] {
  const url = new URL(p, "http://x");
  const apiPath = url.pathname.replace(/^\/oruk/, "") || "/";
  const query = Object.fromEntries(url.searchParams);
  const out: string[] = [];
  let described = 0;
  let requestChecked = 0;
  for (const { name, api } of apis) {
    const op = api.matchOperation({ method: "get", path: apiPath, query, headers: {} });
    if (!op) continue;
    described++;
    const defined = new Set(((op.parameters ?? []) as { name: string }[]).map((x) => x.name));
    const report = (what: string, errors: typeof out | null | undefined | readonly any[]) => {
      for (const e of errors ?? [])
        out.push(
          `${name} ${what} ${p}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
        );
    };
    if (Object.keys(query).every((k) => defined.has(k))) {
      requestChecked++;
      report(
        "request",
        api.validateRequest({ method: "get", path: apiPath, query, headers: {} }, op).errors,
      );
    }
    report("response", api.validateResponse(body, op, status).errors);
  }
  if (!described) out.push(`no OpenAPI document describes ${p}`);
  else if (!requestChecked) out.push(`no OpenAPI document defines every parameter of ${p}`);
  return out;
}

/** Validates request and response against every document that describes the operation. */
function validate(p: string, status: number, body: unknown) {
  expect(problems(p, status, body)).toEqual([]);
}

describe("ORUK API at /oruk/", () => {
  it(
    "answers every endpoint with documents both OpenAPI descriptions accept",
    { timeout: 300_000 },
    async () => {
      const first = (await get("/oruk/services?per_page=1")).body.contents[0];
      const org = (await get("/oruk/organizations?per_page=1")).body.contents[0];
      const terms = (await get("/oruk/taxonomy_terms")).body.contents;
      const taxonomy = (await get("/oruk/taxonomies")).body.contents[0];
      const sal = (await get("/oruk/service_at_locations?per_page=1")).body.contents[0];
      const mh = terms.find((t: any) => t.code === "MENTAL_HEALTH");
      const paths = [
        "/oruk/",
        "/oruk/services",
        `/oruk/services/${first.id}`,
        "/oruk/organizations",
        `/oruk/organizations/${org.id}`,
        "/oruk/service_at_locations",
        `/oruk/service_at_locations/${sal.id}`,
        "/oruk/taxonomies",
        `/oruk/taxonomies/${taxonomy.id}`,
        "/oruk/taxonomy_terms",
        `/oruk/taxonomy_terms/${mh.id}`,
        // every parameter of both documents
        "/oruk/services?page=2&per_page=10",
        "/oruk/services?search=counselling",
        `/oruk/services?taxonomy_term_id=${mh.id}`,
        `/oruk/services?taxonomy_id=${taxonomy.id}`,
        `/oruk/services?organization_id=${first.organization_id}`,
        "/oruk/services?modified_after=2000-01-01T00:00:00Z",
        "/oruk/services?minimum_age=5&maximum_age=18",
        "/oruk/services?day=MO&start_time=09:00&end_time=17:00",
        "/oruk/service_at_locations?postcode=NR2%204AB&proximity=20000",
        `/oruk/service_at_locations?taxonomy_term_id=${mh.id}&minimum_age=10&day=TU`,
        "/oruk/taxonomies?page=1&per_page=5",
        `/oruk/taxonomy_terms?taxonomy_id=${taxonomy.id}&page=1&per_page=5`,
      ];
      for (const p of paths) {
        const { res, body } = await get(p);
        expect(res.status, p).toBe(200);
        expect(res.headers.get("access-control-allow-origin"), p).toBe("*");
        expect(res.headers.get("etag"), p).toMatch(/^W\/"/);
        expect(res.headers.get("cache-control"), p).toBe("public, max-age=60");
        validate(p, 200, body);
      }
    },
  );

  it("refuses what the documents do not allow (the validation can fail)", () => {
    const good = {
      total_items: 0,
      total_pages: 1,
      page_number: 1,
      size: 0,
      first_page: true,
      last_page: true,
      empty: true,
      contents: [],
    };
    expect(problems("/oruk/services", 200, good)).toEqual([]);
    expect(problems("/oruk/services", 200, { ...good, total_items: "none" }).join("\n")).toMatch(
      /HSDS 3\.0 response .*total_items must be integer[\s\S]*ORUK profile response .*total_items/,
    );
    const badId = { ...good, contents: [{ id: "not-a-uuid", name: "x", status: "active" }] };
    expect(problems("/oruk/services", 200, badId).join("\n")).toMatch(
      /id must match format "uuid"/,
    );
    expect(problems("/oruk/services?page=first", 200, good).join("\n")).toMatch(
      /page must be integer/,
    );
    expect(problems("/oruk/services?minimum_age=ten", 200, good).join("\n")).toMatch(
      /ORUK profile request .*minimum_age must be number/,
    );
    expect(problems("/oruk/services?day=MO&start_time=9am", 200, good).join("\n")).toMatch(
      /ORUK profile request .*start_time must match pattern/,
    );
  });

  // A page of 100 services with every field costs more than the gateway's limit for one
  // operation: the ORUK API fetches it in operations within the limit.
  it("filters and pages with totals", { timeout: 300_000 }, async () => {
    const all = (await get("/oruk/services?per_page=100")).body;
    const active =
      data.council.services.length + data.charity.services.length + data.health.services.length;
    expect(all.total_items).toBeGreaterThan(250);
    expect(all.total_items).toBeLessThanOrEqual(active);
    expect(all.total_pages).toBe(Math.ceil(all.total_items / 100));
    const p2 = (await get("/oruk/services?page=2&per_page=100")).body;
    expect(p2.page_number).toBe(2);
    expect(new Set([...all.contents, ...p2.contents].map((s: any) => s.id)).size).toBe(200);

    const terms = (await get("/oruk/taxonomy_terms")).body.contents;
    const autism = terms.find((t: any) => t.code === "AUTISM");
    const byNeed = (await get(`/oruk/services?taxonomy_term_id=${autism.id}&per_page=100`)).body;
    expect(byNeed.total_items).toBeGreaterThan(0);
    for (const s of byNeed.contents) expect(s.wayfinder.needs).toContain("AUTISM");

    const teens = (await get("/oruk/services?minimum_age=11&per_page=100")).body;
    for (const s of teens.contents) expect(s.minimum_age).toBeGreaterThanOrEqual(11);
    const sat = (await get("/oruk/services?day=SA&per_page=100")).body;
    for (const s of sat.contents)
      expect(s.schedules.some((x: any) => x.byday.includes("SA"))).toBe(true);
    const young = (await get("/oruk/services?maximum_age=11&per_page=100")).body;
    expect(young.total_items).toBeGreaterThan(0);
    for (const s of young.contents) expect(s.maximum_age).toBeLessThanOrEqual(11);
    const org = all.contents[0].organization_id;
    const byOrg = (await get(`/oruk/services?organization_id=${org}&per_page=100`)).body;
    expect(byOrg.total_items).toBeGreaterThan(0);
    for (const s of byOrg.contents) expect(s.organization_id).toBe(org);
    const morning = (
      await get("/oruk/services?day=MO&start_time=08:00&end_time=13:00&per_page=100")
    ).body;
    for (const s of morning.contents)
      expect(
        s.schedules.some(
          (x: any) => x.byday?.includes("MO") && x.opens_at >= "08:00" && x.closes_at <= "13:00",
        ),
      ).toBe(true);
    // modified_after is applied by the index too: pages and totals as without it.
    const recent = (await get("/oruk/services?modified_after=2000-01-01T00:00:00Z&per_page=100"))
      .body;
    expect(recent.total_items).toBe(all.total_items);
    const recent2 = (
      await get("/oruk/services?modified_after=2000-01-01T00:00:00Z&page=2&per_page=100")
    ).body;
    expect(recent2.contents.map((s: any) => s.id)).toEqual(p2.contents.map((s: any) => s.id));
    const sals = (await get("/oruk/service_at_locations?per_page=100")).body;
    expect(sals.total_items).toBeGreaterThan(100);
    expect(sals.contents).toHaveLength(100);
    for (const x of sals.contents) expect(x.location_id).toBe(x.location.id);
    const none = (await get("/oruk/services?modified_after=2999-01-01T00:00:00Z")).body;
    expect(none).toMatchObject({ total_items: 0, empty: true, contents: [] });

    expect((await get("/oruk/services?per_page=1000")).res.status).toBe(400);
    expect((await get("/oruk/services/no-such-service")).res.status).toBe(404);
  });

  it("answers a repeated request with 304 Not Modified, and sends Last-Modified", async () => {
    const first = await get("/oruk/services?per_page=5");
    const etag = first.res.headers.get("etag")!;
    expect(Date.parse(first.res.headers.get("last-modified")!)).toBeGreaterThan(0);
    const again = await fetch(`${base}/oruk/services?per_page=5`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    const preflight = await fetch(`${base}/oruk/services`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("never shows a confidential location's address or position without the professional scope", async () => {
    const refuge = data.charity.services.find((s) =>
      (s.service_at_locations ?? []).some((x) => x.location?.wayfinder?.confidential),
    )!;
    expect(refuge).toBeDefined();
    const loc = refuge.service_at_locations!.find(
      (x) => x.location?.wayfinder?.confidential,
    )!.location!;
    const pub = (await get(`/oruk/services/${refuge.id}`)).body;
    const pubText = JSON.stringify(pub);
    const street = loc.addresses![0].address_1!;
    expect(pubText).not.toContain(street);
    expect(pubText).not.toContain(String(loc.latitude));
    const pubLoc = pub.service_at_locations.find((x: any) => x.location.id === loc.id).location;
    expect(pubLoc.addresses).toEqual([]);
    expect(pubLoc.wayfinder.confidential).toBe(true);

    const headers = { authorization: `Bearer ${await mintDevToken({ role: "professional" })}` };
    const pro = await get(`/oruk/services/${refuge.id}`, headers);
    expect(pro.res.headers.get("cache-control")).toBe("private, max-age=0, must-revalidate");
    const proLoc = pro.body.service_at_locations.find(
      (x: any) => x.location.id === loc.id,
    ).location;
    expect(proLoc.addresses[0].address_1).toBe(street);
    expect(proLoc.latitude).toBeCloseTo(loc.latitude!, 5);
  });

  // Pulls every service of every partner, one detail request each: 240-320 s on a 2-core machine
  // at load 20, so the deadline (for a hang only) is well above that.
  it(
    "round trip: a partner exported through /oruk/ and pulled with --url comes back the same",
    { timeout: 900_000 },
    async () => {
      const pulled = await pullFeed(`${base}/oruk`, { requestsPerSecond: 1000 });
      const council = new Set(data.council.services.map((s) => s.id));
      const bundle = validateHsds((pulled.services as any[]).filter((s) => council.has(s.id)));
      const db = await openTestPglite();
      try {
        await importHsds(db, bundle);
        const rows = await db.query<{ id: string; name: string; status: string; needs: string[] }>(
          `SELECT id, name, status, needs FROM service ORDER BY id`,
        );
        const original = await stack.dbs.council.query<{
          id: string;
          name: string;
          status: string;
          needs: string[];
        }>(
          `SELECT id, name, status, needs FROM service WHERE deleted_at IS NULL AND status <> 'defunct' ORDER BY id`,
        );
        expect(rows).toEqual(original);
        const locations = `SELECT l.id, l.name, l.latitude, l.longitude, l.address_1, l.postal_code, l.confidential
        FROM location l WHERE l.id IN (SELECT location_id FROM service_at_location) ORDER BY l.id`;
        expect(await db.query(locations)).toEqual(await stack.dbs.council.query(locations));
        const schedules = `SELECT service_id, freq, byday, opens_at::text, closes_at::text, description
        FROM schedule ORDER BY service_id, byday, opens_at`;
        expect(await db.query(schedules)).toEqual(await stack.dbs.council.query(schedules));
      } finally {
        await db.close();
      }
    },
  );
});

// Last in the file: it adds a service to the council, which the totals above do not expect.
describe("an ORUK feed imported as published", () => {
  const uuid = (n: number) => `5b0f7a52-93c1-4d5e-8f1a-${String(n).padStart(12, "0")}`;
  /** A council's feed as councils publish it: HSDS 3.0 page, DfE and esd terms, no Wayfinder extension. */
  const feed = {
    total_items: 1,
    total_pages: 1,
    page_number: 1,
    size: 1,
    first_page: true,
    last_page: true,
    empty: false,
    contents: [
      {
        id: uuid(1),
        name: "Riverside Family Resilience Service",
        description:
          "Support for children with sensory impairment who care for a parent after domestic abuse or a death in the family.",
        status: "active",
        minimum_age: 5,
        maximum_age: 16,
        organization: {
          id: uuid(2),
          name: "Norfolk County Council",
          description: "Upper-tier council.",
        },
        service_areas: [{ id: uuid(3), name: "Norfolk", extent: "E10000020", extent_type: "gss" }],
        service_at_locations: [
          {
            id: uuid(4),
            location: {
              id: uuid(5),
              location_type: "physical",
              name: "Riverside Centre",
              latitude: 52.6322,
              longitude: 1.2816,
              addresses: [
                {
                  id: uuid(6),
                  address_1: "1 Riverside Road",
                  city: "Norwich",
                  state_province: "Norfolk",
                  postal_code: "NR2 4AB",
                  country: "GB",
                  address_type: "physical",
                },
              ],
            },
          },
        ],
        attributes: [
          ["fh-cat-5-7", "Multi-sensory impairment", "DfE family hubs service categories"],
          ["fh-cat-2-3", "Domestic abuse", "DfE family hubs service categories"],
          ["300", "Young carers support", "esdServiceTypes"],
          ["328", "Bereavement support", "esdServiceTypes"],
        ].map(([code, name, taxonomy], i) => ({
          id: uuid(10 + i),
          taxonomy_term: { id: uuid(20 + i), code, name, description: name, taxonomy },
        })),
      },
    ],
  };
  const NEEDS = ["SENSORY_IMPAIRMENT", "DOMESTIC_ABUSE", "YOUNG_CARERS", "BEREAVEMENT"];
  const ROUTE = /* GraphQL */ `
    query ($profile: ChildProfileInput!) {
      routeChild(profile: $profile) {
        needs {
          need
          services {
            service {
              id
              name
            }
            coversNeeds
          }
        }
      }
    }
  `;
  const routed = async () => {
    const res = await gql(stack.gatewayUrl, ROUTE, {
      profile: { age: 9, needs: NEEDS, postcode: "NR2 4AB" },
    });
    expect(res.errors).toBeUndefined();
    return res.data.routeChild.needs as {
      need: string;
      services: { service: { id: string; name: string }; coversNeeds: string[] }[];
    }[];
  };

  it(
    "appears in routeChild for the needs its taxonomy terms map to",
    { timeout: 120_000 },
    async () => {
      const id = `council:${uuid(1)}`;
      const before = await routed();
      for (const n of before) expect(n.services.map((s) => s.service.id)).not.toContain(id);

      const result = await importHsds(stack.dbs.council, validateHsds(feed));
      expect(result.report.servicesWithoutNeeds).toBe(0);
      expect(result.report.unmappedTerms).toEqual([]);

      const after = await eventually(async () => {
        const needs = await routed();
        for (const n of needs)
          expect(
            n.services.map((s) => s.service.id),
            n.need,
          ).toContain(id);
        return needs;
      }, 60_000);
      for (const n of after) {
        const mine = n.services.find((s) => s.service.id === id)!;
        expect([...mine.coversNeeds].sort()).toEqual([...NEEDS].sort());
        // Meeting all four of the child's needs, it comes first (fewest handoffs).
        expect(n.services[0]!.service.id).toBe(id);
      }

      // The directory's copy carries what the ORUK filters read: its partner terms and their
      // taxonomy (by name and by id), its organization, its service_at_location ids.
      const found = async (p: string) => {
        const { res, body } = await get(p);
        expect(res.status, p).toBe(200);
        return body.contents.map((x: any) => x.service_id ?? x.id);
      };
      expect(await found(`/oruk/services?taxonomy_term_id=${uuid(22)}`)).toEqual([uuid(1)]);
      expect(await found("/oruk/services?taxonomy_id=esdServiceTypes")).toEqual([uuid(1)]);
      expect(
        await found(`/oruk/services?taxonomy_id=${uuidFor("taxonomy:esdServiceTypes")}`),
      ).toEqual([uuid(1)]);
      expect(await found(`/oruk/services?organization_id=${uuid(2)}`)).toContain(uuid(1));
      expect(await found(`/oruk/service_at_locations?organization_id=${uuid(2)}`)).toContain(
        uuid(1),
      );
      const sal = (await get(`/oruk/service_at_locations/${serviceAtLocationId(uuid(1), uuid(5))}`))
        .body;
      expect([sal.service_id, sal.location_id]).toEqual([uuid(1), uuid(5)]);
    },
  );
});

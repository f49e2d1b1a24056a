// Importing feeds as councils publish them: every official HSDS 3.0 and ORUK example file, the
// report of what was and was not kept, and taxonomy terms mapped to needs.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../subgraphs/kit/db/db.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import {
  HsdsFileError,
  importHsds,
  readHsdsSource,
  ReplaceRefusedError,
} from "../subgraphs/kit/hsds/import.ts";
import { needsForTerm } from "../subgraphs/kit/hsds/mapping.ts";
import { formatReport } from "../subgraphs/kit/hsds/report.ts";
import { HsdsValidationError, validateHsds } from "../subgraphs/kit/hsds/validate.ts";

const FIXTURES = path.resolve(import.meta.dirname, "fixtures");
const HSDS = path.join(FIXTURES, "hsds3-examples");
const UK = path.join(FIXTURES, "oruk-uk-profile-examples");
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

/** Every example file of both sets, plus each csv folder as a whole. */
function exampleFiles(): string[] {
  const out: string[] = [];
  for (const dir of [HSDS, UK]) {
    out.push(path.join(dir, "csv"));
    for (const sub of [dir, path.join(dir, "csv")])
      for (const f of readdirSync(sub)) {
        const p = path.join(sub, f);
        if (!statSync(p).isDirectory() && !/^(LICENSE|SOURCE\.md)$/.test(f)) out.push(p);
      }
  }
  return out;
}

type Written = { s: number; o: number; l: number; t: number; tt: number };
// What each file holds, read off the files themselves.
const IMPORTS: Record<string, Written> = {
  "hsds3-examples/csv": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/csv/datapackage.json": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/tabular.json": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/location.json": { s: 0, o: 0, l: 1, t: 0, tt: 0 },
  "hsds3-examples/organization_full.json": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/organization_list.json": { s: 0, o: 1, l: 0, t: 0, tt: 0 },
  "hsds3-examples/service_at_location_full.json": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/service_at_location_list.json": { s: 1, o: 1, l: 1, t: 0, tt: 0 },
  "hsds3-examples/service_full.json": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "hsds3-examples/service_list.json": { s: 1, o: 1, l: 0, t: 0, tt: 0 },
  "hsds3-examples/taxonomy.json": { s: 0, o: 0, l: 0, t: 1, tt: 0 },
  "hsds3-examples/taxonomy_list.json": { s: 0, o: 0, l: 0, t: 1, tt: 0 },
  "hsds3-examples/taxonomy_term.json": { s: 0, o: 0, l: 0, t: 1, tt: 1 },
  "hsds3-examples/taxonomy_term_list.json": { s: 0, o: 0, l: 0, t: 1, tt: 1 },
  "oruk-uk-profile-examples/csv": { s: 1, o: 1, l: 1, t: 1, tt: 1 },
  "oruk-uk-profile-examples/organization_full.json": { s: 1, o: 1, l: 1, t: 0, tt: 1 },
  "oruk-uk-profile-examples/organization_list.json": { s: 0, o: 1, l: 0, t: 0, tt: 0 },
  "oruk-uk-profile-examples/service_at_location_full.json": { s: 1, o: 1, l: 1, t: 0, tt: 1 },
  "oruk-uk-profile-examples/service_at_location_list.json": { s: 1, o: 1, l: 1, t: 0, tt: 0 },
  "oruk-uk-profile-examples/service_full.json": { s: 1, o: 1, l: 1, t: 0, tt: 1 },
  "oruk-uk-profile-examples/service_list.json": { s: 1, o: 1, l: 0, t: 0, tt: 0 },
  "oruk-uk-profile-examples/taxonomy.json": { s: 0, o: 0, l: 0, t: 1, tt: 1 },
  "oruk-uk-profile-examples/taxonomy_list.json": { s: 0, o: 0, l: 0, t: 1, tt: 0 },
  "oruk-uk-profile-examples/taxonomy_term.json": { s: 0, o: 0, l: 0, t: 0, tt: 1 },
  "oruk-uk-profile-examples/taxonomy_term_list.json": { s: 0, o: 0, l: 0, t: 0, tt: 1 },
};
const REFUSED: [RegExp, RegExp][] = [
  [/base\.json$/, /HSDS API root document/],
  [/openapi\.json$/, /OpenAPI description of an API/],
  [/\.csv$/, /one table of an HSDS tabular package/],
];

describe("official HSDS 3.0 and ORUK example files", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestPglite();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("each imports, or is refused with a reason naming what the file is", async () => {
    const files = exampleFiles();
    expect(files.length).toBeGreaterThan(60);
    const seen = new Set<string>();
    for (const file of files) {
      const key = path.relative(FIXTURES, file);
      let outcome: Written | string;
      try {
        const r = await importHsds(db, validateHsds(await readHsdsSource(file)), { dryRun: true });
        outcome = {
          s: r.services,
          o: r.organizations,
          l: r.locations,
          t: r.taxonomies,
          tt: r.taxonomyTerms,
        };
        expect(r.report.refused, key).toBe(0);
      } catch (err) {
        expect(
          err instanceof HsdsValidationError || err instanceof HsdsFileError,
          `${key}: ${String(err)}`,
        ).toBe(true);
        outcome = (err as Error).message;
      }
      if (IMPORTS[key]) {
        expect(outcome, key).toEqual(IMPORTS[key]);
        seen.add(key);
      } else {
        const rule = REFUSED.find(([name]) => name.test(key));
        expect(rule, `${key} has no expectation (got ${JSON.stringify(outcome)})`).toBeDefined();
        expect(outcome, key).toMatch(rule![1]);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(IMPORTS).sort());
  });

  it("service_full.json writes its service with the needs its taxonomy term maps to", async () => {
    const r = await importHsds(db, validateHsds(read(path.join(HSDS, "service_full.json"))));
    expect(r.services).toBe(1);
    const [row] = await db.query<{ needs: string[]; status: string }>(
      `SELECT needs, status FROM service WHERE id = 'ac148810-d857-441c-9679-408f346de14b'`,
    );
    expect(row).toEqual({ needs: ["MENTAL_HEALTH"], status: "active" });
  });

  it("taxonomy files load vocabularies, not services", async () => {
    await db.query(`TRUNCATE service_taxonomy, taxonomy_term, taxonomy CASCADE`);
    const r = await importHsds(db, validateHsds(read(path.join(UK, "taxonomy.json"))));
    expect(r).toMatchObject({ services: 0, taxonomies: 1, taxonomyTerms: 1 });
    const terms = await db.query(`SELECT id, name, taxonomy_id, term_uri FROM taxonomy_term`);
    expect(terms).toEqual([
      {
        id: "3f7b145d-84af-42d7-8fae-eaca714b02b2",
        name: "name",
        taxonomy_id: "5c4d79d7-cc55-470e-9f1f-8cad074e4892",
        term_uri: "http://example.com",
      },
    ]);
    expect(await db.query(`SELECT id, name, uri, version FROM taxonomy`)).toEqual([
      {
        id: "5c4d79d7-cc55-470e-9f1f-8cad074e4892",
        name: "name",
        uri: "http://example.com",
        version: "version",
      },
    ]);
  });
});

describe("the import report", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestPglite();
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.query(`TRUNCATE service, organization, location, taxonomy_term CASCADE`);
  });

  it("counts every field it did not map and every value it did not store", async () => {
    const r = await importHsds(db, validateHsds(read(path.join(HSDS, "service_full.json"))));
    const fields = Object.fromEntries(r.report.unmappedFields);
    // Fields of service_full.json that Wayfinder has no column for, one record each.
    expect(fields).toMatchObject({
      "service.accreditations": 1,
      "service.interpretation_services": 1,
      "service.wait_time": 1,
      "service.funding": 1,
      "service.program": 1,
      "service.required_documents": 1,
      "service.schedules.dtstart": 1,
      "service.service_at_locations.location.accessibility": 1,
      "service.organization.funding": 1,
    });
    expect(fields["service.name"]).toBeUndefined();
    expect(Object.fromEntries(r.report.notStored)).toMatchObject({
      "location latitude/longitude outside WGS84 (-90..90, -180..180): position not stored": 1,
      "service_areas not naming a local authority by GSS code (free text, GeoJSON)": 1,
    });
    const text = formatReport(r.report);
    expect(text).toContain("read:    one HSDS service: 1 service, 1 organization, 1 location");
    expect(text).toContain("refused: 0 records");
    expect(text).toContain("  service.accreditations: 1");
  });

  it("lists taxonomy terms it cannot map to a need, and the services left without needs", async () => {
    const svc = (id: string, term: Record<string, unknown>) => ({
      id,
      name: `Service ${id}`,
      status: "active",
      organization: { id: "o1", name: "Council", description: "" },
      attributes: [{ id: `a-${id}`, taxonomy_term: { description: "", ...term } }],
    });
    const r = await importHsds(
      db,
      validateHsds({
        contents: [
          svc("s1", {
            id: "esd-53",
            code: "53",
            name: "Children's centres",
            taxonomy: "esdServiceTypes",
          }),
          svc("s2", { id: "t-knit", name: "Knitting circle", taxonomy: "Local categories" }),
          svc("s3", { id: "t-knit", name: "Knitting circle", taxonomy: "Local categories" }),
        ],
      }),
    );
    expect(r.report.unmappedTerms).toEqual([
      { taxonomy: "Local categories", id: "t-knit", name: "Knitting circle", services: 2 },
    ]);
    expect(r.report.servicesWithoutNeeds).toBe(2);
    const rows = await db.query<{ id: string; needs: string[] }>(
      `SELECT id, needs FROM service ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: "s1", needs: ["EARLY_YEARS"] },
      { id: "s2", needs: [] },
      { id: "s3", needs: [] },
    ]);
    expect(formatReport(r.report)).toContain(
      'Local categories "t-knit" "Knitting circle": 2 services',
    );
  });

  it("accepts the official status spelling `temporarily closed` and reads an ORUK 1.0 page", async () => {
    const organization = { id: "o1", name: "Council", description: "" };
    const page = {
      totalElements: 2,
      content: [
        { id: "c1", name: "Closed hub", status: "temporarily closed", organization },
        { id: "c2", name: "Old spelling", status: "temporarily_closed", organization },
      ],
    };
    const b = validateHsds(page);
    expect(b.kind).toBe("an ORUK 1.0 page of 2 services (content)");
    await importHsds(db, b);
    const rows = await db.query<{ status: string }>(`SELECT status FROM service ORDER BY id`);
    expect(rows.map((r) => r.status)).toEqual(["temporarily_closed", "temporarily_closed"]);
  });
});

describe("safe replace", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestPglite();
  });
  afterAll(async () => {
    await db?.close();
  });

  const services = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      name: `Service ${i}`,
      status: "active",
      organization: { id: "o1", name: "Council", description: "" },
    }));

  it("--dry-run lists what would be removed and writes nothing", async () => {
    await importHsds(db, validateHsds(services(10)));
    const r = await importHsds(db, validateHsds(services(9)), { replace: true, dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.removed).toEqual([{ id: "s9", name: "Service 9" }]);
    const [{ live }] = await db.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM service WHERE deleted_at IS NULL`,
    );
    expect(live).toBe(10);
  });

  it("refuses to remove more than a fifth of the partner's services without force", async () => {
    await importHsds(db, validateHsds(services(10)));
    const err = await importHsds(db, validateHsds(services(7)), { replace: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReplaceRefusedError);
    expect((err as Error).message).toContain("would remove 3 of this partner's 10 live services");
    const [{ live }] = await db.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM service WHERE deleted_at IS NULL`,
    );
    expect(live).toBe(10);
    // An empty file is the extreme case: refused too.
    await expect(importHsds(db, validateHsds([]), { replace: true })).rejects.toThrow(
      ReplaceRefusedError,
    );
    const forced = await importHsds(db, validateHsds(services(7)), { replace: true, force: true });
    expect(forced.tombstoned).toBe(3);
  });

  it("--replace --dry-run that removes more than a fifth shows what would go instead of refusing", async () => {
    await importHsds(db, validateHsds(services(10)), { replace: true, force: true });
    const r = await importHsds(db, validateHsds(services(6)), { replace: true, dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.forceNeeded).toBe(true);
    expect(r.removed.map((s) => s.id).sort()).toEqual(["s6", "s7", "s8", "s9"]);
    const [{ live }] = await db.query<{ live: number }>(
      `SELECT count(*)::int AS live FROM service WHERE deleted_at IS NULL`,
    );
    expect(live).toBe(10);
    // The real run is still refused without --force.
    await expect(importHsds(db, validateHsds(services(6)), { replace: true })).rejects.toThrow(
      ReplaceRefusedError,
    );
    const small = await importHsds(db, validateHsds(services(9)), { replace: true, dryRun: true });
    expect(small.forceNeeded).toBeUndefined();
  });
});

describe("taxonomy → needs mapping (schema/taxonomy-needs.csv)", () => {
  it("maps esdServiceTypes, DfE family hubs categories and OpenActive activities", () => {
    expect(
      needsForTerm({
        id: "esdServiceTypes:53",
        name: "Children's centres",
        taxonomy: "esdServiceTypes",
      }),
    ).toEqual(["EARLY_YEARS"]);
    expect(needsForTerm({ id: "x", term_uri: "http://id.esd.org.uk/service/112" })).toEqual([
      "HOUSING",
    ]);
    expect(
      needsForTerm({ id: "g1", name: "Domestic abuse", vocabulary: "ServiceCategory" }),
    ).toEqual(["DOMESTIC_ABUSE"]);
    expect(
      needsForTerm({
        id: "fh-cat-5-1",
        code: "fh-cat-5-1",
        name: "ASD",
        taxonomy: "DfE family hubs service categories",
      }),
    ).toEqual(["AUTISM"]);
    expect(
      needsForTerm({
        id: "https://openactive.io/activity-list#a8d1a3b6-4d2d-4b89-9f8e-4fd7e4f3d8a1",
        name: "Deaf Tennis",
        taxonomy: "OpenActive",
      }),
    ).toEqual(["SENSORY_IMPAIRMENT"]);
    // known, deliberately no need
    expect(
      needsForTerm({
        id: "fh-cat-6-1",
        name: "Community transport",
        taxonomy: "DfE family hubs service categories",
      }),
    ).toEqual([]);
    expect(
      needsForTerm({ id: "zz", name: "Knitting", taxonomy: "esdServiceTypes" }),
    ).toBeUndefined();
    expect(
      needsForTerm({ id: "ADHD", taxonomy: "wayfinder-needs", name: "ADHD and attention" }),
    ).toEqual(["ADHD"]);
  });
});

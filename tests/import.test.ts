import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateDataset } from "../scripts/generate/dataset.ts";
import { openDb, type Db, type Queryable } from "../subgraphs/kit/db/db.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import type { HsdsBundle, HsdsService } from "../subgraphs/kit/hsds/format.ts";
import {
  BrokenReferenceError,
  HsdsFileError,
  importFile,
  importHsds,
  parseHsdsJson,
} from "../subgraphs/kit/hsds/import.ts";
import { HsdsValidationError, MAX_ISSUES, validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { dropSchemaOf, freshSchemaUrl, hasPostgres } from "./helpers/postgres.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

// Open Referral UK's published example (CC BY-SA 4.0), read in place rather than copied.
const ORUK_DIR = "tests/fixtures/oruk";
const hasOruk = existsSync(path.join(ORUK_DIR, "service_full.json")); // committed copies, see SOURCE.md
const oruk = (file: string): unknown => JSON.parse(readFileSync(path.join(ORUK_DIR, file), "utf8"));

const data = generateDataset();
const clone = <T>(v: T): T => structuredClone(v);

const TABLES = [
  "organization",
  "service",
  "location",
  "service_at_location",
  "service_area",
  "schedule",
  "cost_option",
  "contact",
  "language",
  "taxonomy_term",
  "service_taxonomy",
  "co_delivery",
] as const;
type Counts = Record<(typeof TABLES)[number], number>;

async function counts(db: Queryable): Promise<Counts> {
  const out = {} as Counts;
  for (const t of TABLES) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = row.n;
  }
  return out;
}

/** Row counts a bundle should produce, worked out from the file rather than the importer. */
function expectedCounts(b: HsdsBundle): Counts {
  const sum = (f: (s: HsdsService) => number) => b.services.reduce((n, s) => n + f(s), 0);
  const locations = new Set(
    b.services.flatMap((s) => (s.service_at_locations ?? []).map((x) => x.location!.id)),
  );
  const terms = new Set(
    b.services.flatMap((s) => (s.attributes ?? []).map((a) => a.taxonomy_term!.id)),
  );
  return {
    organization: b.organizations.length,
    service: b.services.length,
    location: locations.size,
    service_at_location: sum((s) => s.service_at_locations?.length ?? 0),
    service_area: sum((s) => s.service_areas?.length ?? 0),
    schedule: sum((s) => s.schedules?.length ?? 0),
    cost_option: sum((s) => s.cost_options?.length ?? 0),
    // one row per phone (at least one per contact), plus the service's own phones
    contact: sum(
      (s) =>
        (s.contacts ?? []).reduce((n, c) => n + Math.max(1, c.phones?.length ?? 0), 0) +
        (s.phones?.length ?? 0),
    ),
    language: sum((s) => s.languages?.length ?? 0),
    taxonomy_term: terms.size,
    service_taxonomy: sum((s) => s.attributes?.length ?? 0),
    co_delivery: b.co_deliveries.length,
  };
}

async function reset(db: Db) {
  await db.query(`TRUNCATE ${[...TABLES, "taxonomy"].reverse().join(", ")} CASCADE`);
}

/** Every row the import writes, without the feed stamps and times that differ run to run. */
async function snapshot(db: Queryable): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of [...TABLES, "taxonomy"]) {
    const rows = await db.query<{ row: unknown }>(
      `SELECT row FROM (SELECT to_jsonb(t) - $1::text[] AS row FROM ${t} t) r ORDER BY row::text`,
      [["change_seq", "change_xid", "last_modified"]],
    );
    out[t] = rows.map((r) => r.row);
  }
  return out;
}

const indexes = (db: Queryable) =>
  db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`,
  );

const backends = [
  { name: "PGlite", url: undefined as string | undefined, skip: false },
  { name: "PostgreSQL", url: freshSchemaUrl("import"), skip: !hasPostgres },
];

for (const backend of backends) {
  describe.skipIf(backend.skip)(`importHsds on ${backend.name}`, () => {
    let db: Db;

    beforeAll(async () => {
      db = await (backend.url ? openDb({ url: backend.url }) : openTestPglite());
    });
    afterAll(async () => {
      await db?.close();
      if (backend.url) await dropSchemaOf(backend.url);
    });
    beforeEach(async () => {
      await reset(db);
    });

    it("imports a generated bundle into every table", async () => {
      const council = validateHsds(clone(data.council));
      const result = await importHsds(db, council);

      const expected = expectedCounts(council);
      expect(result).toMatchObject({
        organizations: expected.organization,
        services: expected.service,
        locations: expected.location,
        coDeliveries: 0,
        tombstoned: 0,
      });
      expect(await counts(db)).toEqual(expected);
      expect(expected.service).toBe(120);

      const svc = council.services[0];
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT name, needs, referral_routes, delivery_modes, accepting_referrals, typical_wait_weeks,
                contract_end_date::text AS contract_end_date, funder, status, version, deleted_at
         FROM service WHERE id = $1`,
        [svc.id],
      );
      expect(row).toEqual({
        name: svc.name,
        needs: svc.wayfinder!.needs,
        referral_routes: svc.wayfinder!.referral_routes,
        delivery_modes: svc.wayfinder!.delivery_modes,
        accepting_referrals: svc.wayfinder!.capacity!.accepting_referrals,
        typical_wait_weeks: svc.wayfinder!.capacity!.typical_wait_weeks,
        contract_end_date: svc.wayfinder!.contract_end_date,
        funder: svc.wayfinder!.funder,
        status: "active",
        version: 1,
        deleted_at: null,
      });
      const [area] = await db.query<{ local_authority_code: string }>(
        `SELECT local_authority_code FROM service_area WHERE service_id = $1`,
        [svc.id],
      );
      expect(area.local_authority_code).toBe(svc.service_areas![0].extent);
    });

    it("imports the charity's co-deliveries and confidential refuge locations", async () => {
      const charity = validateHsds(clone(data.charity));
      const result = await importHsds(db, charity);
      expect(result.coDeliveries).toBe(charity.co_deliveries.length);
      expect(result.coDeliveries).toBeGreaterThan(0);
      const rows = await db.query<{ service_ref: string; staff_share: string }>(
        `SELECT service_ref, staff_share::text FROM co_delivery ORDER BY id`,
      );
      expect(
        rows.every((r) => r.service_ref.startsWith("council:") && r.staff_share === "0.500"),
      ).toBe(true);

      const refuges = await db.query<{ confidential: boolean }>(
        `SELECT l.confidential FROM location l
         JOIN service_at_location sal ON sal.location_id = l.id
         JOIN service s ON s.id = sal.service_id WHERE s.name LIKE '%Refuge%'`,
      );
      expect(refuges.length).toBeGreaterThan(0);
      expect(refuges.every((r) => r.confidential)).toBe(true);
    });

    it("re-imports idempotently: same rows, version and change_seq moved on", async () => {
      const charity = validateHsds(clone(data.charity));
      const first = await importHsds(db, charity);
      const before = await counts(db);
      const seqBefore = await db.query<{ id: string; version: number; change_seq: number }>(
        `SELECT id, version, change_seq FROM service ORDER BY id`,
      );
      const coSeqBefore = await db.query<{ change_seq: number }>(
        `SELECT change_seq FROM co_delivery ORDER BY id`,
      );

      const second = await importHsds(db, charity);
      expect(second).toEqual(first);
      expect(await counts(db)).toEqual(before);
      const seqAfter = await db.query<{ id: string; version: number; change_seq: number }>(
        `SELECT id, version, change_seq FROM service ORDER BY id`,
      );
      const maxBefore = Math.max(...seqBefore.map((r) => r.change_seq));
      seqAfter.forEach((r, i) => {
        expect(r.version).toBe(seqBefore[i].version + 1);
        expect(r.change_seq).toBeGreaterThan(maxBefore);
      });
      const coSeqAfter = await db.query<{ change_seq: number }>(
        `SELECT change_seq FROM co_delivery ORDER BY id`,
      );
      coSeqAfter.forEach((r, i) => expect(r.change_seq).toBeGreaterThan(coSeqBefore[i].change_seq));
    });

    it("stamps every write for the change feed, whoever writes: the import, or hand-written SQL", async () => {
      await importHsds(db, validateHsds(clone(data.council)));
      // The import stamps its rows itself (the stamp triggers then skip them): one xid, its own.
      const stamps = await db.query<{ xids: number; older: boolean }>(
        `SELECT count(DISTINCT change_xid)::int AS xids,
           bool_and(change_xid < pg_current_xact_id()) AS older FROM service`,
      );
      expect(stamps).toEqual([{ xids: 1, older: true }]);
      const [{ id, org }] = await db.query<{ id: string; org: string }>(
        `SELECT id, organization_id AS org FROM service ORDER BY id LIMIT 1`,
      );
      const stamped = await db.transaction(async (tx) => {
        const [{ xid }] = await tx.query<{ xid: string }>(
          `SELECT pg_current_xact_id()::text AS xid`,
        );
        const [{ max }] = await tx.query<{ max: string }>(
          `SELECT max(change_seq)::text AS max FROM service`,
        );
        const row = async (where: string) =>
          (
            await tx.query<{ xid: string; seq: string }>(
              `SELECT change_xid::text AS xid, change_seq::text AS seq FROM service WHERE id = ${where}`,
            )
          )[0]!;
        // An UPDATE that forgets change_seq and change_xid still moves the row to the end.
        await tx.query(`UPDATE service SET name = name || ' (renamed)' WHERE id = $1`, [id]);
        const forgot = await row(`'${id}'`);
        // One that writes a stale change_xid gets this transaction's.
        await tx.query(
          `UPDATE service SET change_seq = nextval('change_seq'), change_xid = '1' WHERE id = $1`,
          [id],
        );
        const stale = await row(`'${id}'`);
        // A hand-written INSERT, with or without a stale change_xid.
        await tx.query(
          `INSERT INTO service (id, organization_id, name, status) VALUES ('hand-1', $1, 'Hand', 'active')`,
          [org],
        );
        await tx.query(
          `INSERT INTO service (id, organization_id, name, status, change_xid)
           VALUES ('hand-2', $1, 'Hand', 'active', '1')`,
          [org],
        );
        return {
          xid,
          max: BigInt(max),
          forgot,
          stale,
          hand1: await row(`'hand-1'`),
          hand2: await row(`'hand-2'`),
        };
      });
      for (const r of [stamped.forgot, stamped.stale, stamped.hand1, stamped.hand2]) {
        expect(r.xid).toBe(stamped.xid);
        expect(BigInt(r.seq)).toBeGreaterThan(stamped.max);
      }
      expect(BigInt(stamped.stale.seq)).toBeGreaterThan(BigInt(stamped.forgot.seq));
    });

    it("replaces a service's child rows rather than adding to them", async () => {
      const council = validateHsds(clone(data.council));
      await importHsds(db, council);
      const edited = clone(council);
      const svc = edited.services[1];
      svc.schedules = [{ id: "only-schedule", byday: "SA", opens_at: "10:00", closes_at: "12:00" }];
      svc.languages = [{ id: "only-language", name: "Polish", code: "pl" }];
      svc.wayfinder = { needs: ["HOUSING"] };
      await importHsds(db, validateHsds(edited));

      const schedules = await db.query<{ id: string; byday: string }>(
        `SELECT id, byday FROM schedule WHERE service_id = $1`,
        [svc.id],
      );
      expect(schedules).toEqual([{ id: "only-schedule", byday: "SA" }]);
      const langs = await db.query<{ name: string }>(
        `SELECT name FROM language WHERE service_id = $1`,
        [svc.id],
      );
      expect(langs).toEqual([{ name: "Polish" }]);
      const [row] = await db.query<{
        needs: string[];
        delivery_modes: string[];
        accepting_referrals: boolean;
      }>(`SELECT needs, delivery_modes, accepting_referrals FROM service WHERE id = $1`, [svc.id]);
      // A file without a field means the default, not "keep what was there".
      expect(row).toEqual({ needs: ["HOUSING"], delivery_modes: [], accepting_referrals: true });
    });

    it("keeps tabs, line breaks, backslashes, quotes and a literal \\N as written (COPY text format)", async () => {
      const council = clone(data.council);
      const svc = council.services[0];
      const awkward = 'Tab\there,\nnew line,\r\nCRLF, back\\slash, "quoted", \\N, \\. and {braces}';
      svc.description = awkward;
      svc.alternate_name = "\\N";
      svc.wayfinder = { ...svc.wayfinder, referral_notes: "ends with a backslash \\" };
      svc.schedules = [{ id: "awkward-schedule", byday: "MO", description: "\\t is not a tab" }];
      await importHsds(db, validateHsds(council));

      const [row] = await db.query<Record<string, unknown>>(
        `SELECT description, alternate_name, referral_notes FROM service WHERE id = $1`,
        [svc.id],
      );
      expect(row).toEqual({
        description: awkward,
        alternate_name: "\\N",
        referral_notes: "ends with a backslash \\",
      });
      const [sch] = await db.query<{ description: string }>(
        `SELECT description FROM schedule WHERE id = 'awkward-schedule'`,
      );
      expect(sch.description).toBe("\\t is not a tab");
    });

    it("moves a child row whose id the file now gives to another service", async () => {
      const council = validateHsds(clone(data.council));
      await importHsds(db, council);
      const [a, b] = council.services;
      const moved = a.schedules![0].id;
      // Only service b is in the second file, now listing a's schedule id as its own.
      const second = clone(council);
      const bOnly = second.services[1];
      bOnly.schedules = [{ ...a.schedules![0], description: "now b's" }];
      await importHsds(db, { ...second, services: [bOnly] });

      const rows = await db.query<{ service_id: string; description: string }>(
        `SELECT service_id, description FROM schedule WHERE id = $1`,
        [moved],
      );
      expect(rows).toEqual([{ service_id: b.id, description: "now b's" }]);
    });

    it("rejects an invalid file naming the record and field, and writes nothing", async () => {
      await importHsds(db, validateHsds(clone(data.council)));
      const before = await counts(db);

      const bad = clone(data.council);
      const svc = bad.services[2];
      svc.service_at_locations![0].location!.location_type = "moon";
      svc.name = "Changed name that must not land";
      const dir = await mkdtemp(path.join(tmpdir(), "wayfinder-import-"));
      const file = path.join(dir, "bad.json");
      await writeFile(file, JSON.stringify(bad));
      try {
        const err = await importFile("council", file, { db }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HsdsValidationError);
        const message = (err as Error).message;
        expect(message).toContain(`services[2] (id "${svc.id}", name "${svc.name}")`);
        expect(message).toContain("service_at_locations[0].location.location_type");
        expect(message).toContain('must be one of "physical", "postal", "virtual" (got "moon")');
        expect((err as HsdsValidationError).issues).toHaveLength(1);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect(await counts(db)).toEqual(before);
      const [row] = await db.query<{ name: string }>(`SELECT name FROM service WHERE id = $1`, [
        svc.id,
      ]);
      expect(row.name).toBe(data.council.services[2].name);
    });

    it("rolls back everything when a statement fails mid-transaction", async () => {
      const charity = validateHsds(clone(data.charity));
      await importHsds(db, { ...charity, services: charity.services.slice(0, 50) });
      const before = await counts(db);
      const versions = await db.query(`SELECT id, version, change_seq FROM service ORDER BY id`);

      // Passes the file checks' shape but not the database: the co-delivery's organization is
      // missing, and that insert runs after every service has been written.
      const broken: HsdsBundle = {
        ...charity,
        co_deliveries: [
          ...charity.co_deliveries,
          { id: "cd-x", service_ref: "council:x", organization_id: "no-such-org", role: "Staff" },
        ],
      };
      await expect(importHsds(db, broken)).rejects.toThrow(/foreign key/i);
      expect(await counts(db)).toEqual(before);
      expect(await db.query(`SELECT id, version, change_seq FROM service ORDER BY id`)).toEqual(
        versions,
      );
    });

    it("with replace, tombstones services missing from the bundle and bumps their change_seq", async () => {
      const council = validateHsds(clone(data.council));
      await importHsds(db, council);
      const [{ max }] = await db.query<{ max: number }>(
        `SELECT max(change_seq)::int AS max FROM service`,
      );

      const kept = { ...council, services: council.services.slice(10) };
      const result = await importHsds(db, kept, { replace: true });
      expect(result.tombstoned).toBe(10);
      expect(result.services).toBe(110);

      const gone = council.services.slice(0, 10).map((s) => s.id);
      const rows = await db.query<{
        status: string;
        deleted: boolean;
        change_seq: number;
        version: number;
      }>(
        `SELECT status, deleted_at IS NOT NULL AS deleted, change_seq, version
         FROM service WHERE id = ANY($1::text[])`,
        [gone],
      );
      expect(rows).toHaveLength(10);
      for (const r of rows) {
        expect(r).toMatchObject({ status: "defunct", deleted: true, version: 2 });
        expect(r.change_seq).toBeGreaterThan(max);
      }
      const [{ live }] = await db.query<{ live: number }>(
        `SELECT count(*)::int AS live FROM service WHERE deleted_at IS NULL`,
      );
      expect(live).toBe(110);

      // Already tombstoned services are left alone by the next replace…
      expect((await importHsds(db, kept, { replace: true })).tombstoned).toBe(0);
      // …and come back when a file lists them again.
      await importHsds(db, council);
      const [{ back }] = await db.query<{ back: number }>(
        `SELECT count(*)::int AS back FROM service WHERE deleted_at IS NULL AND status = 'active' AND id = ANY($1::text[])`,
        [gone],
      );
      expect(back).toBe(council.services.slice(0, 10).filter((s) => s.status === "active").length);
    });

    describe("into an empty database (copied straight into the tables)", () => {
      // Generated bundles plus what they lack: a location whose organization is not in the file
      // (not linked) and, from the ORUK example, a taxonomy with terms.
      const bundles = () => {
        const charity = clone(data.charity);
        const sal = charity.services.find((s) => s.service_at_locations?.[0]?.location)!;
        sal.service_at_locations![0].location!.organization_id = "not-in-the-file";
        return [
          validateHsds(charity),
          validateHsds(clone(data.council)),
          ...(hasOruk ? [validateHsds(oruk("service_full.json"))] : []),
        ];
      };

      // Two imports at once into one empty PostgreSQL database, each on its own connection (as two
      // `npm run import` processes would be): one copies straight in, the other waits for it and then
      // merges. Two guards keep them apart (the import's advisory lock, and the empty check repeated
      // under LOCK TABLE); with both gone the second copies into tables that are no longer empty
      // and fails (seen: 'fulfilled', 'rejected').
      it.skipIf(!backend.url)(
        "two first imports overlapping on one empty database both land, one after the other",
        async () => {
          const other = await openDb({ url: backend.url! });
          try {
            const [charity, council] = [data.charity, data.council].map((b) =>
              validateHsds(clone(b)),
            );
            const results = await Promise.allSettled([
              importHsds(db, charity!),
              importHsds(other, council!),
            ]);
            expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
            const together = await snapshot(db);
            const inOrder = async (first: HsdsBundle, second: HsdsBundle) => {
              await reset(db);
              await importHsds(db, first);
              await importHsds(db, second);
              return snapshot(db);
            };
            expect([
              await inOrder(charity!, council!),
              await inOrder(council!, charity!),
            ]).toContainEqual(together);
          } finally {
            await other.close();
          }
        },
      );

      it("writes exactly the rows the merge into a non-empty database writes", async () => {
        const loaded = [];
        for (const b of bundles()) {
          await reset(db);
          await importHsds(db, b);
          loaded.push(await snapshot(db));
        }
        const merged = [];
        for (const b of bundles()) {
          await reset(db);
          // One row the file does not have makes the database non-empty: the merge runs.
          await db.query(`INSERT INTO organization (id, name) VALUES ('other', 'Other')`);
          await importHsds(db, b);
          await db.query(`DELETE FROM organization WHERE id = 'other'`);
          merged.push(await snapshot(db));
        }
        expect(loaded[0].service.length).toBe(data.charity.services.length);
        expect(loaded[0].co_delivery.length).toBeGreaterThan(0);
        expect(loaded).toEqual(merged);
      });

      it("stamps the services for the change feed as the merge does", async () => {
        await importHsds(db, validateHsds(clone(data.council)));
        const rows = await db.query<{ stamped: boolean; seq: number | null }>(
          `SELECT bool_and(change_xid = (SELECT max(change_xid::text)::xid8 FROM service)) AS stamped,
                  count(DISTINCT change_seq)::int AS seq FROM service`,
        );
        expect(rows).toEqual([{ stamped: true, seq: data.council.services.length }]);
      });

      it("keeps every index", async () => {
        const before = await indexes(db);
        expect(before.map((i) => i.indexname)).toContain("sal_service_idx");
        await importHsds(db, validateHsds(clone(data.council)));
        expect(await indexes(db)).toEqual(before);
      });

      it("leaves every trigger on when a table has one it does not know, and it runs", async () => {
        await db.query(`CREATE TABLE contact_seen (id text)`);
        await db.query(`CREATE FUNCTION contact_seen() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO contact_seen VALUES (NEW.id); RETURN NEW; END $$`);
        await db.query(`CREATE TRIGGER contact_seen AFTER INSERT ON contact
          FOR EACH ROW EXECUTE FUNCTION contact_seen()`);
        try {
          const council = validateHsds(clone(data.council));
          await importHsds(db, council);
          const [{ n }] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM contact_seen`,
          );
          expect(n).toBe(expectedCounts(council).contact);
          expect(n).toBeGreaterThan(0);
          // Row-by-row checks are on: the database's own foreign-key error refuses a broken file.
          await reset(db);
          const broken = {
            ...council,
            co_deliveries: [
              {
                id: "cd-x",
                service_ref: "council:x",
                organization_id: "no-such-org",
                role: "Staff",
              },
            ],
          };
          const err = await importHsds(db, broken).catch((e: unknown) => e);
          expect(err).not.toBeInstanceOf(BrokenReferenceError);
          expect(String(err)).toMatch(/foreign key/);
          expect(Object.values(await counts(db)).every((x) => x === 0)).toBe(true);
        } finally {
          await db.query(`DROP TABLE contact_seen`);
          await db.query(`DROP FUNCTION contact_seen() CASCADE`);
        }
      });

      it.each([
        {
          what: "a co-delivery's organization",
          broken: (b: HsdsBundle) => ({
            ...b,
            co_deliveries: [
              ...b.co_deliveries,
              {
                id: "cd-x",
                service_ref: "council:x",
                organization_id: "no-such-org",
                role: "Staff",
              },
            ],
          }),
          message: /co_delivery \(id "cd-x", organization_id "no-such-org"\): violates foreign key/,
        },
        {
          what: "a service's location",
          broken: (b: HsdsBundle) => ({
            ...b,
            services: b.services.map((s, i) =>
              i === 3
                ? { ...s, service_at_locations: [{ id: "sal-x", location_id: "no-such-location" }] }
                : s,
            ),
          }),
          message:
            /service_at_location \(id "sal-x", location_id "no-such-location"\): violates foreign key/,
        },
      ])("refuses a broken reference ($what), naming the record, and writes nothing", async (c) => {
        const before = await indexes(db);
        const broken = c.broken(validateHsds(clone(data.charity)));
        await expect(importHsds(db, broken)).rejects.toThrow(c.message);
        await expect(importHsds(db, broken)).rejects.toBeInstanceOf(BrokenReferenceError);
        expect(Object.values(await counts(db)).every((n) => n === 0)).toBe(true);
        expect(await indexes(db)).toEqual(before);
      });
    });

    describe.skipIf(!hasOruk)("Open Referral UK examples", () => {
      it("imports service_full.json as published, keeping its latitude of 100 out and saying so", async () => {
        const example = oruk("service_full.json") as HsdsService;
        const result = await importHsds(db, validateHsds(example));
        expect(result).toMatchObject({
          organizations: 1,
          services: 1,
          locations: 1,
          coDeliveries: 0,
          tombstoned: 0,
        });
        expect([...result.report.notStored.keys()]).toContain(
          "location latitude/longitude outside WGS84 (-90..90, -180..180): position not stored",
        );

        const [svc] = await db.query(
          `SELECT s.name, s.status, s.fees_description, s.minimum_age, s.maximum_age, s.needs,
                  s.accepting_referrals, o.name AS organization, o.url AS organization_url
           FROM service s JOIN organization o ON o.id = s.organization_id`,
        );
        expect(svc).toEqual({
          name: "Community Counselling",
          status: "active",
          fees_description: "fees_description",
          minimum_age: 12,
          maximum_age: 100,
          // its one taxonomy term is mapped in schema/taxonomy-needs.csv
          needs: ["MENTAL_HEALTH"],
          accepting_referrals: true,
          organization: "Example Organization Inc.",
          organization_url: "http://example.com",
        });
        const [loc] = await db.query(
          `SELECT name, latitude, longitude, address_1, city, region, postal_code, country FROM location`,
        );
        expect(loc).toEqual({
          name: "MyCity Civic Center",
          latitude: null,
          longitude: null,
          address_1: "1-30 Main Street",
          city: "MyCity",
          region: "MyRegion",
          postal_code: "ABC 1234",
          country: "US",
        });
        const c = await counts(db);
        // The example's service area is GeoJSON placeholder text and its language has only an id:
        // neither says anything storable, so neither is stored.
        expect(c).toMatchObject({
          service_area: 0,
          language: 0,
          schedule: 1,
          cost_option: 1,
          contact: 1,
        });
        const [sched] = await db.query(
          `SELECT byday, opens_at::text, closes_at::text FROM schedule`,
        );
        expect(sched).toEqual({ byday: "TH,FR", opens_at: "10:00:00", closes_at: "18:00:00" });
        const [cost] = await db.query(
          `SELECT option, amount::float AS amount, currency FROM cost_option`,
        );
        expect(cost).toEqual({ option: "Under 18s and Over 60s", amount: 35, currency: "GBP" });
        const [term] = await db.query(
          `SELECT t.name, t.vocabulary FROM service_taxonomy st JOIN taxonomy_term t ON t.id = st.taxonomy_term_id`,
        );
        expect(term).toEqual({ name: "name", vocabulary: "taxonomy" });
      });

      it("imports an ORUK paginated page (service_list.json)", async () => {
        const result = await importHsds(db, validateHsds(oruk("service_list.json")));
        expect(result).toMatchObject({ organizations: 1, services: 1, locations: 0 });
      });
    });
  });
}

describe("validateHsds", () => {
  const svc = (over: Record<string, unknown> = {}) => ({
    id: "s1",
    name: "Family Hub",
    status: "active",
    organization: { id: "o1", name: "Council", description: "" },
    ...over,
  });

  it("accepts a bundle, a bare array, an ORUK page and a single service alike", () => {
    const shapes = [{ services: [svc()] }, [svc()], { contents: [svc()], total_items: 1 }, svc()];
    for (const shape of shapes) {
      const b = validateHsds(shape);
      expect(b.services.map((s) => s.id)).toEqual(["s1"]);
      expect(b.co_deliveries).toEqual([]);
    }
  });

  it("collects every problem, naming record and field", () => {
    const input = {
      organizations: [{ id: "o1", name: "Council", description: "" }],
      services: [
        svc({
          status: "open",
          minimum_age: 12,
          maximum_age: 5,
          wayfinder: {
            needs: ["ADHD", "WIZARDRY"],
            referral_routes: ["CARRIER_PIGEON"],
            contract_end_date: "2027-02-30",
          },
          schedules: [{ id: "x", byday: "MO,XX", opens_at: "9am" }],
          service_areas: [{ id: "a", extent: "Norfolk", extent_type: "gss" }],
        }),
        svc({ id: "s1", email: "not-an-email", organization: undefined, organization_id: "o404" }),
      ],
      co_deliveries: [
        {
          id: "c1",
          service_ref: "council",
          organization_id: "o1",
          role: "Staff",
          staff_share: 1.5,
        },
      ],
    };
    let err: HsdsValidationError | undefined;
    try {
      validateHsds(input);
    } catch (e) {
      err = e as HsdsValidationError;
    }
    expect(err).toBeInstanceOf(HsdsValidationError);
    const found = err!.issues.map((i) => `${i.record} | ${i.path}`);
    const first = 'services[0] (id "s1", name "Family Hub")';
    const second = 'services[1] (id "s1", name "Family Hub")';
    expect(found).toEqual([
      // schema problems come first for each record, then the checks a schema cannot make
      `${first} | status`,
      `${first} | wayfinder.needs[1]`,
      `${first} | wayfinder.referral_routes[0]`,
      `${first} | minimum_age`,
      `${first} | service_areas[0].extent`,
      `${first} | schedules[0].byday`,
      `${first} | schedules[0].opens_at`,
      `${first} | wayfinder.contract_end_date`,
      `${second} | email`,
      `${second} | id`,
      'co_deliveries[0] (id "c1") | service_ref',
      'co_deliveries[0] (id "c1") | staff_share',
      `${second} | organization_id`,
    ]);
    expect(err!.message).toContain('unknown need code "WIZARDRY"');
    expect(err!.message).toContain('organization "o404" is not in the file');
    expect(err!.message).toContain(`${second}: id: service id "s1" is also used by ${first}`);
  });

  it(`lists at most ${MAX_ISSUES} problems and counts the rest`, () => {
    const services = Array.from({ length: 80 }, (_, i) => svc({ id: `s${i}`, status: "bogus" }));
    try {
      validateHsds(services);
      expect.unreachable();
    } catch (e) {
      const err = e as HsdsValidationError;
      expect(err.issues).toHaveLength(MAX_ISSUES);
      expect(err.omitted).toBe(30);
      expect(err.message).toMatch(/^Invalid HSDS file: 80 problems/);
      expect(err.message).toContain("… and 30 more");
    }
  });

  it("reads a GSS code from a service area's uri, and ignores extra fields", () => {
    const b = validateHsds([
      svc({
        something_else: { anything: true },
        service_areas: [
          { id: "a", uri: "http://statistics.data.gov.uk/id/statistical-geography/E10000020" },
        ],
      }),
    ]);
    expect(b.services[0].service_areas![0].uri).toContain("E10000020");
  });

  it("rejects what is not an import file at all", () => {
    expect(() => validateHsds({ hello: "world" })).toThrow(
      /a JSON object with fields hello: not an HSDS record/,
    );
    expect(() => validateHsds("services")).toThrow(/expected a JSON object or array/);
  });
});

describe("parseHsdsJson", () => {
  it("reports invalid JSON with line and column", () => {
    const text = '{\n  "services": [\n    {"id": "a",}\n  ]\n}';
    expect(() => parseHsdsJson(text, "feed.json")).toThrow(HsdsFileError);
    expect(() => parseHsdsJson(text, "feed.json")).toThrow(/^feed\.json:3:16: invalid JSON/);
  });
});

describe("scripts/import.ts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wayfinder-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, "data") };
    delete env.COUNCIL_DATABASE_URL;
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ["scripts/launch.mjs", "scripts/import.ts", ...args],
        { cwd: root, env },
      );
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it(
    "exits 1 with the validation message and no stack trace for a bad file",
    { timeout: 180_000 },
    async () => {
      const bad = clone(data.council);
      bad.services[3].minimum_age = -2;
      const file = path.join(dir, "bad.json");
      await writeFile(file, JSON.stringify(bad));
      const r = await cli(["--partner", "council", file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`services[3] (id "${bad.services[3].id}"`);
      expect(r.stderr).toContain(
        "minimum_age: must be a whole number of years 0–150 to be searchable (got -2)",
      );
      expect(r.stderr).toContain("Nothing was imported.");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it(
    "exits 1 with a clear message for an unknown partner, a missing file and broken JSON",
    { timeout: 180_000 },
    async () => {
      const broken = path.join(dir, "broken.json");
      await writeFile(broken, '{"services": [');
      const unknown = await cli(["--partner", "police", broken]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unknown partner "police"');
      const missing = await cli(["--partner", "council", path.join(dir, "nope.json")]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("nope.json: cannot read: no such file");
      const invalid = await cli(["--partner", "council", broken]);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/broken\.json:1:\d+: invalid JSON/);
    },
  );

  // A CLI run starts tsx and a file-backed PGlite: slow on a loaded machine, hence the timeout.
  it(
    "imports a good file into the partner's PGlite database under DATA_DIR",
    { timeout: 180_000 },
    async () => {
      const file = path.join(dir, "council.json");
      await writeFile(file, JSON.stringify(data.council));
      const r = await cli(["--partner", "council", file]);
      expect(r.stderr).not.toMatch(/import:/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("written: 120 services, 3 organizations");
      expect(r.stdout).toContain("refused: 0 records");

      const db = await openDb({ dataDir: path.join(dir, "data", "council") });
      try {
        expect((await counts(db)).service).toBe(120);
      } finally {
        await db.close();
      }
    },
  );
});

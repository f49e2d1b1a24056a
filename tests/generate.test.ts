import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_TODAY,
  DELIBERATE_GAPS,
  formatBundle,
  generateDataset,
  writeDataset,
  type DeliberateGap,
} from "../scripts/generate/dataset.ts";
import { LOCAL_AUTHORITIES, PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import type { HsdsBundle, HsdsService } from "../subgraphs/kit/hsds/format.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";

const run = promisify(execFile);
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;
const root = path.resolve(import.meta.dirname, "..");

type Dataset = Record<PartnerId, HsdsBundle>;

const all = (ds: Dataset) => PARTNERS.flatMap((p) => ds[p].services);
const covers = (s: HsdsService, la: string) => (s.service_areas ?? []).some((a) => a.extent === la);
const providers = (ds: Dataset, la: string, need: string) =>
  all(ds).filter((s) => covers(s, la) && s.wayfinder?.needs?.includes(need));
const daysFrom = (today: string, day: string) => (Date.parse(day) - Date.parse(today)) / 86_400_000;
const byName = (ds: Dataset, pattern: RegExp) => all(ds).filter((s) => pattern.test(s.name));

/** Asserts one deliberate gap holds in a dataset. */
function expectGap(ds: Dataset, gap: DeliberateGap, today = DEFAULT_TODAY) {
  const found = providers(ds, gap.localAuthority, gap.need);
  switch (gap.kind) {
    case "no_service":
      expect(found, gap.id).toEqual([]);
      break;
    case "no_service_for_ages":
      expect(
        found.filter((s) => s.minimum_age! <= gap.ages!.max && s.maximum_age! >= gap.ages!.min),
        gap.id,
      ).toEqual([]);
      // …while younger children there are served, so the gap is about age.
      expect(found.length, gap.id).toBeGreaterThan(0);
      break;
    case "only_provider_not_accepting":
      expect(found, gap.id).toHaveLength(1);
      expect(found[0].wayfinder!.capacity!.accepting_referrals).toBe(false);
      break;
    case "only_provider_contract_ending": {
      expect(found, gap.id).toHaveLength(1);
      const days = daysFrom(today, found[0].wayfinder!.contract_end_date!);
      expect(days).toBeGreaterThan(0);
      expect(days).toBeLessThanOrEqual(gap.withinDays!);
      break;
    }
    case "only_provider_limited_languages":
      expect(found, gap.id).toHaveLength(1);
      expect(found[0].languages!.map((l) => l.code).sort()).toEqual([...gap.languages!].sort());
      break;
  }
  // Every gap is local: the need is met somewhere else.
  const elsewhere = LOCAL_AUTHORITIES.filter((la) => la.code !== gap.localAuthority).flatMap((la) =>
    providers(ds, la.code, gap.need),
  );
  expect(elsewhere.length, gap.id).toBeGreaterThan(0);
}

describe("generateDataset", () => {
  const ds = generateDataset();

  it("is deterministic: the same options give the same JSON, another seed does not", () => {
    expect(JSON.stringify(generateDataset())).toBe(JSON.stringify(ds));
    const other = generateDataset({ seed: 2 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(ds));
    expect(other.council.services[0].id).not.toBe(ds.council.services[0].id);
  });

  it("splits about 300 services 40/35/25 between council, charity and health", () => {
    expect(PARTNERS.map((p) => ds[p].services.length)).toEqual([120, 105, 75]);
  });

  it("passes validateHsds for every partner", () => {
    for (const p of PARTNERS) {
      const roundTripped = JSON.parse(formatBundle(ds[p]));
      expect(() => validateHsds(roundTripped), p).not.toThrow();
      expect(roundTripped).toEqual(JSON.parse(JSON.stringify(ds[p])));
    }
  });

  it("validates against the official HSDS 3.0 JSON Schema, UUID ids included", () => {
    // A validator of the test's own over schema/hsds3, with ajv-formats' real uuid format (the
    // importer relaxes it for council feeds), so this checks the files, not the importer.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const dir = path.join(root, "schema", "hsds3");
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")))
      ajv.addSchema(JSON.parse(readFileSync(path.join(dir, f), "utf8")), f);
    const service = ajv.getSchema("service.json")!;
    const organization = ajv.getSchema("organization.json")!;
    let checked = 0;
    for (const p of PARTNERS) {
      for (const s of ds[p].services) {
        expect(service(s), `${p} ${s.name}: ${JSON.stringify(service.errors)}`).toBe(true);
        checked++;
      }
      for (const o of ds[p].organizations)
        expect(organization(o), `${p} ${o.name}: ${JSON.stringify(organization.errors)}`).toBe(
          true,
        );
    }
    expect(checked).toBe(300);
  });

  it("has unique ids across all partners", () => {
    const ids = all(ds).map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it.each(DELIBERATE_GAPS.map((g) => [g.id, g] as const))("has the deliberate gap %s", (_, gap) => {
    expectGap(ds, gap);
  });

  it("gives service types believable ages", () => {
    const ages = (pattern: RegExp) =>
      byName(ds, pattern).map((s) => [s.minimum_age, s.maximum_age]);
    const expectAll = (pattern: RegExp, range: number[]) => {
      const found = ages(pattern);
      expect(found.length, String(pattern)).toBeGreaterThan(0);
      for (const a of found) expect(a, String(pattern)).toEqual(range);
    };
    expectAll(/^Health Visiting Service/, [0, 4]);
    expectAll(/^School Nursing/, [5, 19]);
    expectAll(/^CAMHS /, [0, 17]);
    expectAll(/Young Carers (Bristol|Norfolk|Newport)/, [8, 18]);
  });

  it("places locations near their outward code with matching postcodes", () => {
    for (const s of all(ds)) {
      for (const sal of s.service_at_locations ?? []) {
        const loc = sal.location!;
        const la = LOCAL_AUTHORITIES.find((l) => covers(s, l.code))!;
        const postcode = loc.addresses![0].postal_code!;
        const outward = la.outwardCodes.find((o) => postcode.startsWith(`${o.code} `));
        expect(outward, `${s.name}: ${postcode}`).toBeDefined();
        expect(postcode).toMatch(/^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$/);
        expect(Math.abs(loc.latitude! - outward!.lat)).toBeLessThan(0.02);
        expect(Math.abs(loc.longitude! - outward!.lng)).toBeLessThan(0.03);
      }
    }
  });

  it("marks domestic abuse refuges confidential, and only them", () => {
    const confidential = all(ds).filter((s) =>
      s.service_at_locations?.some((x) => x.location?.wayfinder?.confidential),
    );
    expect(confidential.length).toBeGreaterThan(0);
    for (const s of confidential) expect(s.name).toMatch(/Refuge/);
  });

  it("offers Welsh in most Newport services and professional-only contacts in some", () => {
    const newport = all(ds).filter((s) => covers(s, "W06000022"));
    const welsh = newport.filter((s) => s.languages?.some((l) => l.code === "cy"));
    expect(welsh.length / newport.length).toBeGreaterThan(0.7);
    const pro = all(ds).filter((s) => s.contacts?.some((c) => c.wayfinder?.professional_only));
    expect(pro.length).toBeGreaterThan(10);
  });

  it("spreads contract end dates: some within 6 months, some within 12, most later", () => {
    const days = all(ds)
      .map((s) => s.wayfinder?.contract_end_date)
      .filter((d): d is string => !!d)
      .map((d) => daysFrom(DEFAULT_TODAY, d));
    const within6 = days.filter((d) => d <= 183).length;
    const within12 = days.filter((d) => d > 183 && d <= 366).length;
    expect(within6).toBeGreaterThan(0);
    expect(within12).toBeGreaterThan(0);
    expect(days.length - within6 - within12).toBeGreaterThan(days.length / 2);
  });

  it("mostly charges nothing, sometimes something", () => {
    const amounts = all(ds).flatMap((s) => (s.cost_options ?? []).map((c) => c.amount ?? 0));
    expect(amounts.filter((a) => a > 0).length).toBeGreaterThan(0);
    expect(amounts.filter((a) => a === 0).length).toBeGreaterThan(amounts.length / 2);
  });

  it("records charity staff co-delivering council services", () => {
    const { co_deliveries } = ds.charity;
    expect(co_deliveries.length).toBeGreaterThanOrEqual(3);
    const councilIds = new Set(ds.council.services.map((s) => s.id));
    const charityOrgs = new Set(ds.charity.organizations.map((o) => o.id));
    for (const cd of co_deliveries) {
      expect(cd.service_ref).toMatch(/^council:/);
      expect(councilIds.has(cd.service_ref.slice("council:".length))).toBe(true);
      expect(charityOrgs.has(cd.organization_id)).toBe(true);
      expect(cd.staff_share).toBe(0.5);
    }
    expect(ds.council.co_deliveries).toEqual([]);
    expect(ds.health.co_deliveries).toEqual([]);
  });

  it("dates everything from the today option", () => {
    const later = generateDataset({ today: "2027-06-01" });
    const gap = DELIBERATE_GAPS.find((g) => g.kind === "only_provider_contract_ending")!;
    expectGap(later, gap, "2027-06-01");
    expect(() => generateDataset({ today: "2027-13-01" })).toThrow(/YYYY-MM-DD/);
    expect(() => generateDataset({ services: 3 })).toThrow(/at least/);
  });

  // How fast it generates is a benchmark's business (npm run bench), not a test's.
  it("scales to 5,000 services, keeping the gaps and validity", () => {
    const big = generateDataset({ services: 5000, seed: 42 });
    expect(PARTNERS.map((p) => big[p].services.length)).toEqual([2000, 1750, 1250]);
    for (const p of PARTNERS) expect(() => validateHsds(big[p]), p).not.toThrow();
    for (const gap of DELIBERATE_GAPS) expectGap(big, gap);
  });
});

describe("writeDataset and scripts/generate.ts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wayfinder-generate-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("streams the same bytes as formatBundle, and the CLI writes the same files", async () => {
    const opts = { services: 60, seed: 7 };
    const written = await writeDataset(path.join(dir, "a"), opts);
    expect(written.map((w) => [w.partner, w.services])).toEqual([
      ["council", 24],
      ["charity", 21],
      ["health", 15],
    ]);
    const ds = generateDataset(opts);
    for (const p of PARTNERS) {
      expect(await readFile(path.join(dir, "a", `${p}.json`), "utf8")).toBe(formatBundle(ds[p]));
    }

    const out = path.join(dir, "b");
    const { stdout } = await run(
      process.execPath,
      [
        "scripts/launch.mjs",
        "scripts/generate.ts",
        "--services",
        "60",
        "--seed",
        "7",
        "--out",
        out,
      ],
      {
        cwd: root,
      },
    );
    expect(stdout).toContain("generated 60 services (seed 7");
    for (const p of PARTNERS) {
      const a = await readFile(path.join(dir, "a", `${p}.json`));
      const b = await readFile(path.join(out, `${p}.json`));
      expect(b.equals(a), p).toBe(true);
    }
  });

  it("rejects bad arguments with exit code 1", async () => {
    const err = await run(
      process.execPath,
      ["scripts/launch.mjs", "scripts/generate.ts", "--services", "many"],
      { cwd: root },
    ).catch((e: unknown) => e as { code: number; stderr: string });
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain(
      '--services must be an integer (got "many")',
    );
  });
});

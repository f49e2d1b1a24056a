// Partners as data: the registry every process reads (schema/partners.json) is the manifests in the
// partner folders (subgraphs/<id>/partner.json); the partner list, ports, start map and lead-agency
// tie-break come from it, and a bad manifest is refused with its file named.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LEAD_ORDER, PARTNERS, PARTNER_INFO } from "../schema/vocabulary.ts";
import { subgraphPort } from "../platform/config.ts";
import { readManifests, registryText } from "../scripts/partner-registry.ts";
import { suggestLead } from "../subgraphs/directory/route/route.engine.ts";
import { ROOT } from "./helpers/processes.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "wayfinder-partners-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeRepo(manifests: Record<string, unknown>): string {
  const root = mkdtempSync(path.join(tmp, "repo-"));
  for (const [dir, m] of Object.entries(manifests)) {
    mkdirSync(path.join(root, "subgraphs", dir), { recursive: true });
    writeFileSync(
      path.join(root, "subgraphs", dir, "partner.json"),
      typeof m === "string" ? m : JSON.stringify(m),
    );
  }
  mkdirSync(path.join(root, "subgraphs", "kit"), { recursive: true });
  return root;
}

const manifest = (id: string, port: number, leadPriority: number) => ({
  id,
  typePrefix: id[0]!.toUpperCase() + id.slice(1),
  label: id,
  description: `${id} services`,
  port,
  leadPriority,
});

describe("partner registry", () => {
  it("schema/partners.json is the partner folders' manifests (run npm run schema:compose)", () => {
    expect(readFileSync(path.join(ROOT, "schema", "partners.json"), "utf8")).toBe(
      registryText(readManifests(ROOT)),
    );
    expect(PARTNERS).toEqual(readManifests(ROOT).map((m) => m.id));
  });

  it("derives ports and the lead-agency order from the manifests", () => {
    for (const p of PARTNERS) expect(subgraphPort(p, {})).toBe(PARTNER_INFO[p]!.port);
    expect(subgraphPort("council", { COUNCIL_PORT: "5999" })).toBe(5999);
    expect(LEAD_ORDER).toEqual(
      [...PARTNERS].sort((a, b) => PARTNER_INFO[a]!.leadPriority - PARTNER_INFO[b]!.leadPriority),
    );
    expect(LEAD_ORDER[0]).toBe("council");
  });

  it("breaks a lead-agency tie by leadPriority", () => {
    const svc = (partner: string, needs: string[]) => ({ partner, coversNeeds: needs }) as never;
    const plans = [
      { need: "AUTISM", services: [svc("health", ["AUTISM"])] },
      { need: "PARENTING", services: [svc("charity", ["PARENTING"])] },
      { need: "HOUSING", services: [svc("council", ["HOUSING"])] },
    ] as never;
    const lead = suggestLead({ needs: ["AUTISM", "PARENTING", "HOUSING"] } as never, plans);
    expect(lead?.partner).toBe(LEAD_ORDER[0]);
  });

  it("refuses a manifest whose id is not its folder, duplicate ports, and bad JSON, naming the file", () => {
    expect(() => readManifests(fakeRepo({ library: manifest("books", 4105, 4) }))).toThrow(
      /subgraphs\/library\/partner.json: id "books" must be its folder's name/,
    );
    expect(() =>
      readManifests(fakeRepo({ a1: manifest("a1", 4105, 1), b1: manifest("b1", 4105, 2) })),
    ).toThrow(/same port/);
    expect(() => readManifests(fakeRepo({ c1: "{ nope" }))).toThrow(
      /subgraphs\/c1\/partner.json: not valid JSON/,
    );
    expect(() =>
      readManifests(fakeRepo({ d1: { ...manifest("d1", 4105, 1), port: "x" } })),
    ).toThrow(/port must be a port number/);
  });

  it("npm run start:subgraph offers exactly the registered subgraphs", () => {
    const run = spawnSync(
      process.execPath,
      ["scripts/launch.mjs", "scripts/start-subgraph.ts", "nope"],
      { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `usage: npm run start:subgraph -- <${[...PARTNERS, "directory"].join("|")}>`,
    );
  });
});

// Adding a partner, as the README's "Adding a partner subgraph" says, in a temporary copy of the
// repository: `npm run partner:new -- library`, `npm run schema:compose`, `npm run import`, then
// `npm start`; the new partner's services answer through the gateway and reach search, and the
// copy's docker-compose.yml passes tests/docker-compose.test.ts with no editing by hand.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET } from "./fixtures/dataset.ts";
import { eventually, gql } from "./helpers/stack.ts";
import { ROOT, runNpm, type RunningProcess } from "./helpers/processes.ts";

const SKIP = new Set(["node_modules", ".git", ".data", "coverage"]);
const copy = mkdtempSync(path.join(tmpdir(), "wayfinder-partner-new-"));
const dataDir = path.join(copy, ".data");
let stack: RunningProcess | undefined;

/** Runs an npm script in the copy to completion; resolves with its output, rejects on failure. */
async function npm(args: string[], env: Record<string, string> = {}): Promise<string> {
  const p = runNpm(args, { DATA_DIR: dataDir, ...env }, copy);
  const code = await new Promise<number | null>((resolve) => p.child.once("exit", resolve));
  if (code !== 0) throw new Error(`npm run ${args.join(" ")} exited ${code}:\n${p.output()}`);
  return p.output();
}

beforeAll(() => {
  for (const entry of readdirSync(ROOT)) {
    if (!SKIP.has(entry))
      cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
});

afterAll(async () => {
  await stack?.stop();
  rmSync(copy, { recursive: true, force: true });
});

describe("npm run partner:new", () => {
  it("refuses an id that is not a partner id, and one that exists", async () => {
    await expect(npm(["partner:new", "--", "Bad-Id"])).rejects.toThrow(/not a valid id/);
    await expect(npm(["partner:new", "--", "health"])).rejects.toThrow(/already exists/);
  });

  it("scaffolds a fourth partner that composes, starts and answers through the gateway", async () => {
    const created = await npm([
      "partner:new",
      "--",
      "library",
      "--label",
      "Libraries",
      "--description",
      "Library services for families.",
    ]);
    expect(created).toContain("Created subgraphs/library/");
    const manifest = JSON.parse(
      readFileSync(path.join(copy, "subgraphs", "library", "partner.json"), "utf8"),
    );
    expect(manifest).toMatchObject({
      id: "library",
      typePrefix: "Library",
      label: "Libraries",
      port: 4105,
      leadPriority: 4,
    });
    expect(readFileSync(path.join(copy, "docker", "postgres-init.sql"), "utf8")).toMatch(
      /^CREATE DATABASE library;$/m,
    );
    const compose = parse(readFileSync(path.join(copy, "docker-compose.yml"), "utf8")) as {
      services: Record<string, any>;
    };
    expect(compose.services.library).toMatchObject({
      command: ["npm", "run", "start:subgraph", "--", "library"],
      environment: {
        LIBRARY_DATABASE_URL: "postgres://wayfinder:${POSTGRES_PASSWORD}@postgres:5432/library",
        LIBRARY_PORT: "4105",
      },
    });
    for (const consumer of ["gateway", "directory"]) {
      expect(compose.services[consumer].environment.LIBRARY_URL, consumer).toBe(
        "http://library:4105/graphql",
      );
      expect(compose.services[consumer].depends_on.library, consumer).toEqual({
        condition: "service_healthy",
      });
    }

    await npm(["schema:compose"]);
    const registry = JSON.parse(readFileSync(path.join(copy, "schema", "partners.json"), "utf8"));
    expect(registry.map((m: { id: string }) => m.id)).toEqual([
      "council",
      "charity",
      "health",
      "library",
    ]);
    expect(existsSync(path.join(copy, "schema", "subgraphs", "library.graphql"))).toBe(true);
    expect(readFileSync(path.join(copy, "schema", "supergraph.graphql"), "utf8")).toContain(
      "type LibraryService",
    );
    // The container stack's checks (dclint, env names, wiring for every subgraph) hold for library too.
    const composeChecks = await npm([
      "test:unit",
      "--",
      "--reporter=verbose",
      "tests/docker-compose.test.ts",
    ]);
    expect(composeChecks).toMatch(/library uses its own PostgreSQL database/);

    // Its data: an HSDS bundle (the fixture health partner's, under the new partner).
    const file = path.join(copy, "library.json");
    writeFileSync(file, JSON.stringify(DATASET.health));
    expect(await npm(["import", "--", "--partner", "library", file])).toMatch(
      /imported .* into library/,
    );

    const ports = Object.fromEntries(
      ["council", "charity", "health", "library", "directory", "gateway"].map((s) => [
        `${s.toUpperCase()}_PORT`,
        "0",
      ]),
    );
    stack = runNpm(
      ["start"],
      {
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        GATEWAY_RATE_LIMIT_RPS: "0",
        SYNC_INTERVAL_MS: "500",
        ...ports,
      },
      copy,
    );
    const gatewayUrl = (await stack.waitFor(/Wayfinder gateway ready at (http:\/\/\S+)/))[1]!;
    expect(stack.output()).toMatch(/library\s+subgraph\s+http:\/\//);

    const expected = DATASET.health!.organizations.map((o: { name: string }) => o.name).sort();
    const res = await gql(
      gatewayUrl,
      /* GraphQL */ `
        {
          libraryOrganizations {
            name
            services {
              name
            }
          }
        }
      `,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.libraryOrganizations.map((o: { name: string }) => o.name).sort()).toEqual(
      expected,
    );
    expect(
      res.data.libraryOrganizations.flatMap((o: { services: unknown[] }) => o.services).length,
    ).toBeGreaterThan(0);

    // The directory indexes it like any partner: search finds LIBRARY services.
    await eventually(async () => {
      const search = await gql(
        gatewayUrl,
        /* GraphQL */ `
          {
            searchServices(filter: { partners: [LIBRARY] }, first: 5) {
              totalCount
              edges {
                node {
                  id
                  partner
                }
              }
            }
          }
        `,
      );
      expect(search.errors).toBeUndefined();
      expect(search.data.searchServices.totalCount).toBeGreaterThan(0);
      expect(search.data.searchServices.edges[0].node).toMatchObject({
        partner: "LIBRARY",
        id: expect.stringMatching(/^library:/),
      });
    }, 180_000);
  }, 900_000);
});

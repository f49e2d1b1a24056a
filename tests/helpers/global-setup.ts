// Global setup of the e2e project, run once in vitest's main process: builds the fixture partner
// databases (tests/helpers/fixture-dbs.ts) and hands their dumps to every test file through
// `provide`; then starts one stack over those same databases for the files that only read
// (tests/helpers/stack.ts sharedTestStack), so that they need not start one each.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { startStack } from "../../scripts/stack.ts";
import { configureLogging } from "../../platform/log.ts";
import { buildPgliteFixtures } from "./fixture-dbs.ts";
import { testStackConfig } from "./stack.ts";

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "wayfinder-fixtures-"));
  const { fixtures, dbs } = await buildPgliteFixtures(dir);
  project.provide("pgliteFixtures", fixtures);
  const config = testStackConfig();
  configureLogging({ service: "shared-stack", level: config.logLevel });
  const stack = await startStack(config, { dbs });
  project.provide("sharedStack", {
    gatewayUrl: stack.gatewayUrl,
    partners: Object.fromEntries(
      PARTNERS.map((p) => [p, { url: stack.partners[p].url }]),
    ) as Record<PartnerId, { url: string }>,
    directory: { http: { url: stack.directory.http.url } },
  });
  return async () => {
    await stack.close();
    await Promise.all(PARTNERS.map((p) => dbs[p].close()));
    await rm(dir, { recursive: true, force: true });
  };
}

// Global setup of the e2e project: builds the fixture partner databases once for the whole run
// (tests/helpers/fixture-dbs.ts) and hands their dumps to every test file through `provide`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { buildPgliteFixtures } from "./fixture-dbs.ts";

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), "wayfinder-fixtures-"));
  project.provide("pgliteFixtures", await buildPgliteFixtures(dir));
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}

import { availableParallelism } from "node:os";
import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// The files that take longest, longest first (per-file durations of a whole `npm test`). Started
// first, they run beside the many short files instead of being the last ones left running on a
// single worker. Vitest's own order (by file size on a clean clone) would start some of them last.
// A file missing from the list only starts later; nothing else depends on it.
const LONG_FIRST = [
  "tests/oruk-api.e2e.ts",
  "tests/partner-new.e2e.ts",
  "tests/security/confidentiality.e2e.ts",
  "tests/web-referrals.e2e.ts",
  "tests/import-running.e2e.ts",
  "tests/web.e2e.ts",
  "tests/web-generated.e2e.ts",
  "tests/search.e2e.ts",
  "tests/web-oidc.e2e.ts",
  "tests/resilience.e2e.ts",
  "tests/referrals.e2e.ts",
  "tests/production.e2e.ts",
  "tests/offline.e2e.ts",
  "tests/processes.e2e.ts",
  "tests/reindex.e2e.ts",
  "tests/config.e2e.ts",
  "tests/import.test.ts",
  "tests/oruk-pull.test.ts",
];

class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const i = LONG_FIRST.indexOf(path.relative(import.meta.dirname, spec.moduleId));
      return i === -1 ? LONG_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep the order vitest gave them.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// e2e files that set process-wide state a later file in the same worker would inherit: run each in
// a fresh worker (the project "e2e-isolated"). operations.e2e.ts registers an OpenTelemetry tracer
// provider in the test process, and @apollo/gateway keeps the tracer it got when it was first loaded.
const ISOLATED_E2E = ["tests/operations.e2e.ts"];

// Two kinds of project (Hive Gateway habit): fast unit/component tests and whole-stack e2e tests.
// Files share their worker's loaded modules (isolate: false): vitest would otherwise load the app
// again for every file, which was a third of the e2e project's CPU time. Each file still starts its
// own servers and databases and closes them in afterAll; nothing in a module is per file.
export default defineConfig({
  test: {
    // Tests that check log lines capture them explicitly; the rest would only be noise.
    env: { LOG_LEVEL: "warn" },
    // Test files run side by side, e2e files too: each starts its servers on port 0 with its own
    // databases (PGlite in memory, fresh PostgreSQL schemas, fresh Redis key prefixes), and much of
    // an e2e file's time is spent waiting on child processes, browsers and sync rounds. Vitest's
    // default (one worker per core, less one) would run them one at a time on a 2-core machine.
    maxWorkers: Math.max(3, availableParallelism()),
    sequence: { sequencer: LongFirstSequencer },
    projects: [
      {
        test: {
          name: "unit",
          isolate: false,
          include: [
            "tests/**/*.test.ts",
            "subgraphs/**/*.test.ts",
            "gateway/**/*.test.ts",
            "platform/**/*.test.ts",
            "scripts/**/*.test.ts",
            "web/**/*.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/**/*.e2e.ts"],
          exclude: [...configDefaults.exclude, ...ISOLATED_E2E],
          isolate: false,
          // The fixture partner databases, built once and loaded by every stack (tests/helpers/fixture-dbs.ts).
          globalSetup: ["tests/helpers/global-setup.ts"],
          // Deadlines for a hang only, generous for a loaded machine: no test asserts how long anything takes.
          testTimeout: 300_000,
          hookTimeout: 480_000,
        },
      },
      {
        test: {
          name: "e2e-isolated",
          include: ISOLATED_E2E,
          // No global setup: these files start their own stacks (tests/helpers/stack.ts loads the
          // dataset itself when no prebuilt dumps are provided).
          testTimeout: 300_000,
          hookTimeout: 480_000,
        },
      },
    ],
  },
});

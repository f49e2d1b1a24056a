import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Two projects (Hive Gateway habit): fast unit/component tests and whole-stack e2e tests.
export default defineConfig({
  test: {
    // Tests that check log lines capture them explicitly; the rest would only be noise.
    env: { LOG_LEVEL: "warn" },
    // Test files run side by side, e2e files too: each starts its servers on port 0 with its own
    // databases (PGlite in memory, fresh PostgreSQL schemas, fresh Redis key prefixes), and much of
    // an e2e file's time is spent waiting on child processes, browsers and sync rounds. Vitest's
    // default (one worker per core, less one) would run them one at a time on a 2-core machine.
    maxWorkers: Math.max(3, availableParallelism()),
    projects: [
      {
        test: {
          name: "unit",
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
          // The fixture partner databases, built once and loaded by every stack (tests/helpers/fixture-dbs.ts).
          globalSetup: ["tests/helpers/global-setup.ts"],
          // Deadlines for a hang only, generous for a loaded machine: no test asserts how long anything takes.
          testTimeout: 300_000,
          hookTimeout: 480_000,
        },
      },
    ],
  },
});

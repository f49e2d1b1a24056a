import { defineConfig } from "vitest/config";

// Two projects (Hive Gateway habit): fast unit/component tests and whole-stack e2e tests.
export default defineConfig({
  test: {
    // Tests that check log lines capture them explicitly; the rest would only be noise.
    env: { LOG_LEVEL: "warn" },
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts", "subgraphs/**/*.test.ts", "gateway/**/*.test.ts", "platform/**/*.test.ts", "scripts/**/*.test.ts", "web/**/*.test.ts"],
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
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

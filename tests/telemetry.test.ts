// Wayfinder never phones home: @apollo/gateway starts a usage-metrics exporter to Apollo (and
// probes cloud metadata endpoints to describe the host) whenever an ApolloGateway is built, unless
// APOLLO_TELEMETRY_DISABLED is set. The product sets it itself (platform/no-phone-home.ts, loaded
// first by gateway/server.ts), whatever the operator's environment says.
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ROOT, baseEnv } from "./helpers/processes.ts";

const require = createRequire(import.meta.url);
// The module @apollo/gateway calls when telemetry is on (the same CommonJS instance it uses).
const otel = require("@apollo/gateway/dist/utilities/opentelemetry.js") as {
  createDataCollectionExporter: () => unknown;
};
const { ApolloGateway } = require("@apollo/gateway") as typeof import("@apollo/gateway");

const SUPERGRAPH = "schema/supergraph.graphql";

afterEach(() => vi.restoreAllMocks());

describe("telemetry to Apollo", () => {
  it("is started by a bare ApolloGateway when the variable is unset (the check can fail)", () => {
    const saved = process.env.APOLLO_TELEMETRY_DISABLED;
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    // Stand-in exporter, so this control sends nothing either.
    const spy = vi
      .spyOn(otel, "createDataCollectionExporter")
      .mockReturnValue({ shutdown: async () => undefined });
    try {
      new ApolloGateway({ supergraphSdl: "type Query { a: Int }" });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      if (saved !== undefined) process.env.APOLLO_TELEMETRY_DISABLED = saved;
    }
  });

  it("is never started by Wayfinder's gateway, even when the environment asks for it", async () => {
    process.env.APOLLO_TELEMETRY_DISABLED = "false";
    const spy = vi
      .spyOn(otel, "createDataCollectionExporter")
      .mockReturnValue({ shutdown: async () => undefined });
    const { startGateway } = await import("../gateway/server.ts");
    const { testGatewayConfig } = await import("./helpers/stack.ts");
    const gw = await startGateway(testGatewayConfig({ port: 0, supergraphPath: SUPERGRAPH }));
    try {
      expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe("true");
      expect(spy).not.toHaveBeenCalled();
    } finally {
      await gw.close();
    }
  });

  it("is off in the gateway process started by npm run start:gateway", () => {
    // The entry point, run as a process with APOLLO_TELEMETRY_DISABLED unset: after it loads the
    // gateway it reports what @apollo/gateway will see.
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `await import("./gateway/server.ts"); console.log("telemetry-disabled=" + process.env.APOLLO_TELEMETRY_DISABLED);`,
      ],
      { cwd: ROOT, env: baseEnv({}), encoding: "utf8", timeout: 120_000 },
    );
    expect(run.stdout + run.stderr).toContain("telemetry-disabled=true");
  });
});

// Each subgraph and the gateway run as their own processes (as docker-compose runs them), start on
// the configured port, answer /health, and shut down gracefully on SIGTERM. The gateway can also
// compose live from running subgraphs (GATEWAY_COMPOSE=live, a development option).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startGateway } from "../gateway/server.ts";
import { gql, sharedTestStack, testGatewayConfig } from "./helpers/stack.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "wayfinder-proc-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["scripts/launch.mjs", ...args], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    // A deadline for a hung start only, generous for a loaded machine.
    const timer = setTimeout(
      () => reject(new Error(`no ready line within 240 s:\n${out}`)),
      240_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

describe("separate processes", () => {
  it("runs a partner subgraph on its own, file-backed database, and stops cleanly on SIGTERM", async () => {
    const { child, url } = await run(["scripts/start-subgraph.ts", "council"], {
      COUNCIL_PORT: "0",
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const health = await fetch(new URL("/health", url));
    expect(await health.json()).toEqual({ status: "ok", partner: "council" });
    const ready = await (await fetch(new URL("/ready", url))).json();
    expect(ready).toMatchObject({ status: "ready", database: "pglite" });
    // Without the gateway's signed claims the subgraph refuses to answer.
    expect(
      (
        await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"query":"{__typename}"}',
        })
      ).status,
    ).toBe(401);
    const exited = exitCode(child);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("rejects an unknown subgraph name with a usage line", async () => {
    const child = spawn(
      process.execPath,
      ["scripts/launch.mjs", "scripts/start-subgraph.ts", "library"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr!.on("data", (c) => (err += c));
    expect(await exitCode(child)).toBe(2);
    expect(err).toContain("usage: npm run start:subgraph");
  });
});

describe("live composition (development)", () => {
  it("composes the supergraph from the running subgraphs and serves a cross-partner query", async () => {
    // Reads only: the run's shared stack.
    const stack = await sharedTestStack();
    const live = await startGateway({
      ...testGatewayConfig(),
      host: "127.0.0.1",
      port: 0,
      supergraphPath: "unused",
      composeLive: true,
      subgraphUrls: {
        ...Object.fromEntries(Object.entries(stack.partners).map(([p, h]) => [p, h.url])),
        directory: stack.directory.http.url,
      },
    });
    try {
      const res = await gql(
        live.url,
        `{ service(id: "council:fh-norwich") { name ... on CouncilService { coDelivery { staffShare } } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.service).toEqual({
        name: "Norwich Family Hub",
        coDelivery: [{ staffShare: 0.5 }],
      });
    } finally {
      await live.close();
    }
  });
});

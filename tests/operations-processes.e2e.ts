// Observability across a real process boundary, configured the way docker-compose configures it:
// a partner subgraph started with `npm run start:subgraph -- council` and OTEL_EXPORTER_OTLP_ENDPOINT,
// OPERATOR_TOKEN and INTERNAL_SECRET in its environment, called by a gateway. The subgraph's spans
// reach the OTLP/HTTP receiver in the gateway's trace, its log lines carry the gateway's request
// id, and its /metrics and /ready answer as documented.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READY_URL, runNpm, type RunningProcess } from "./helpers/processes.ts";
import { eventually, testGatewayConfig } from "./helpers/stack.ts";
import { sample, scrape, startOtlpReceiver } from "./helpers/observability.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { initTracing, type Tracing } from "../platform/tracing.ts";

const OPERATOR = `op-${randomUUID()}`;
const INTERNAL_SECRET = `secret-${randomUUID()}`;
const dataDir = mkdtempSync(path.join(tmpdir(), "wayfinder-ops-"));

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let tracing: Tracing | null;
let council: RunningProcess;
let councilUrl: string;
let gw: RunningGateway;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  tracing = initTracing("wayfinder-gateway", { otlpEndpoint: receiver.url });
  council = runNpm(["start:subgraph", "--", "council"], {
    HOST: "127.0.0.1",
    COUNCIL_PORT: "0",
    DATA_DIR: dataDir,
    NODE_ENV: "production",
    INTERNAL_SECRET,
    REFERRAL_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    OPERATOR_TOKEN: OPERATOR,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    LOG_LEVEL: "info",
  });
  councilUrl = (await council.waitFor(READY_URL))[1]!;
  gw = await startGateway({
    ...testGatewayConfig({ internalSecret: INTERNAL_SECRET }),
    host: "127.0.0.1",
    port: 0,
    // Only council is called by the query below; the others are never reached.
    subgraphUrls: {
      council: councilUrl,
      charity: "http://127.0.0.1:9/graphql",
      health: "http://127.0.0.1:9/graphql",
      directory: "http://127.0.0.1:9/graphql",
    },
    rateLimit: false,
  });
});
afterAll(async () => {
  await gw?.close();
  await council?.stop();
  await tracing?.shutdown();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a subgraph in its own process", () => {
  it("joins the gateway's trace and logs under the gateway's request id", async () => {
    const requestId = `ops-proc-${randomUUID().slice(0, 8)}`;
    const res = await fetch(gw.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: JSON.stringify({ query: "query Orgs { councilOrganizations { name } }" }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ councilOrganizations: [] });

    // The subgraph's line for this request, written by the other process.
    const line = await eventually(async () => {
      const found = council
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.event === "subgraph_request" && l.requestId === requestId);
      expect(found).toBeDefined();
      return found!;
    });
    expect(line).toMatchObject({ service: "council", operationName: "Orgs__council__0" });

    await tracing!.forceFlush();
    // The child exports in batches (every 5 s by default).
    const [client, server] = await eventually(async () => {
      const c = receiver.spans.find(
        (s) => s.service === "wayfinder-gateway" && s.kind === 3 && s.traceId === line.traceId,
      );
      const sv = receiver.spans.find(
        (s) => s.service === "wayfinder-council" && s.kind === 2 && s.traceId === line.traceId,
      );
      expect(c).toBeDefined();
      expect(sv).toBeDefined();
      return [c!, sv!];
    }, 120_000);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(client.attributes["wayfinder.partner"]).toBe("council");
  });

  it("serves /metrics to the operator and a public /ready without internals", async () => {
    const base = new URL("/", councilUrl).href;
    expect((await fetch(new URL("/metrics", base))).status).toBe(401);
    const metrics = await scrape(base, OPERATOR);
    expect(
      sample(metrics, "wayfinder_graphql_requests_total", { service: "council" }),
    ).toBeGreaterThan(0);
    const ready = await (await fetch(new URL("/ready", base))).json();
    expect(ready).toEqual({ status: "ready", partner: "council", database: "pglite" });
  });
});

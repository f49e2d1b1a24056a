// The gateway's own series on top of platform/metrics.ts: each subgraph call by partner and
// outcome, its latency, each breaker's state and what the last readiness probe found.
import client from "prom-client";
import { LATENCY_BUCKETS, type Metrics } from "../platform/metrics.ts";
import type { BreakerState } from "./breaker.ts";
import type { PartnerDataSource } from "./datasource.ts";
import type { SubgraphState } from "./readiness.ts";

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

export interface GatewayMetrics {
  /** For PartnerDataSource `observe`: one subgraph attempt. */
  observe(partner: string, outcome: string, seconds: number): void;
  /** For the readiness route: the latest probe round. */
  readiness(states: Record<string, SubgraphState>): void;
}

export function gatewayMetrics(
  metrics: Metrics,
  sources: ReadonlyMap<string, PartnerDataSource>,
): GatewayMetrics {
  const registers = [metrics.registry];
  const requests = new client.Counter({
    name: "wayfinder_partner_requests_total",
    help: "Gateway calls to each subgraph, by outcome (ok, UNAUTHORIZED, TIMEOUT, UNREACHABLE, HTTP_ERROR, CIRCUIT_OPEN …)",
    labelNames: ["partner", "outcome"],
    registers,
  });
  const duration = new client.Histogram({
    name: "wayfinder_partner_request_duration_seconds",
    help: "Time of one gateway call to a subgraph, response body included",
    labelNames: ["partner"],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  new client.Gauge({
    name: "wayfinder_partner_breaker_state",
    help: "Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open",
    labelNames: ["partner"],
    registers,
    collect() {
      for (const [name, source] of sources)
        this.set({ partner: name }, BREAKER_VALUE[source.breaker.state]);
    },
  });
  const up = new client.Gauge({
    name: "wayfinder_partner_up",
    help: "1 when the last readiness probe got through to the subgraph, else 0",
    labelNames: ["partner"],
    registers,
  });
  return {
    observe(partner, outcome, seconds) {
      requests.inc({ partner, outcome });
      if (outcome !== "CIRCUIT_OPEN") duration.observe({ partner }, seconds);
    },
    readiness(states) {
      for (const [partner, s] of Object.entries(states))
        up.set({ partner }, s.state === "up" ? 1 : 0);
    },
  };
}

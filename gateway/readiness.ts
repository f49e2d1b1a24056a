// /ready for the gateway: whether the gateway's own calls to each subgraph get through. Each
// subgraph is probed the way real calls go (signed claims, same fetcher and timeout; see
// PartnerDataSource.probe), so a partner that refuses the gateway's signature reads as `down` with
// reason UNAUTHORIZED rather than `up` because its /health answers.
//
// The public answer names subgraphs, states and reason codes only; URLs, raw errors and breaker
// counts are for operators (bearer OPERATOR_TOKEN). Probes are shared: one round per `cacheMs`
// however many callers ask, so /ready cannot be used to hammer the subgraphs.
import type http from "node:http";
import type { Route } from "../platform/http.ts";
import { isOperator } from "../platform/operator.ts";
import type { PartnerDataSource, ProbeResult } from "./datasource.ts";

export interface ReadinessOptions {
  /** Every subgraph the gateway should reach, by name. */
  names: readonly string[];
  sources: ReadonlyMap<string, PartnerDataSource>;
  /** Whether a supergraph is loaded (false once the gateway is closing). */
  loaded: () => boolean;
  /** How long one round of probes answers every caller. */
  cacheMs: number;
  operatorToken?: string;
  /** Told each round's findings (the partner_up gauge). */
  onRound?: (states: Record<string, SubgraphState>) => void;
  /** More for operators: the route replica's state (answering or not, plans answered, fallbacks). */
  operatorDetail?: () => Record<string, unknown>;
}

export interface SubgraphState {
  state: "up" | "down";
  /** Why it is down: a probe reason, CIRCUIT_OPEN (the gateway fails calls fast), NOT_LOADED. */
  reason: string | null;
}

interface Round {
  at: number;
  probes: Promise<Record<string, ProbeResult | null>>;
}

export function readinessRoute(opts: ReadinessOptions): Route {
  let round: Round | null = null;

  const probeAll = async (): Promise<Record<string, ProbeResult | null>> => {
    const results = await Promise.all(opts.names.map((n) => opts.sources.get(n)?.probe() ?? null));
    return Object.fromEntries(opts.names.map((n, i) => [n, results[i]!]));
  };

  const current = (): Round => {
    const now = Date.now();
    if (!round || now - round.at >= opts.cacheMs) round = { at: now, probes: probeAll() };
    return round;
  };

  const stateOf = (name: string, probe: ProbeResult | null): SubgraphState => {
    if (!probe) return { state: "down", reason: "NOT_LOADED" };
    if (!probe.up) return { state: "down", reason: probe.reason };
    // It answers a probe, but the breaker still fails the real calls fast until its cool-down ends.
    if (opts.sources.get(name)?.breaker.state === "open")
      return { state: "down", reason: "CIRCUIT_OPEN" };
    return { state: "up", reason: null };
  };

  return async (req: http.IncomingMessage) => {
    const r = current();
    const probes = await r.probes;
    const states = Object.fromEntries(opts.names.map((n) => [n, stateOf(n, probes[n] ?? null)]));
    opts.onRound?.(states);
    const up = Object.values(states).filter((s) => s.state === "up").length;
    const loaded = opts.loaded();
    // Degraded (some partners down) still serves everyone else's data, so it stays in rotation.
    const status = !loaded
      ? "not-loaded"
      : up === opts.names.length
        ? "ready"
        : up > 0
          ? "degraded"
          : "unavailable";
    const body: Record<string, unknown> = {
      status,
      supergraph: loaded ? "loaded" : "missing",
      subgraphs: Object.fromEntries(Object.entries(states).map(([n, s]) => [n, s.state])),
      reasons: Object.fromEntries(
        Object.entries(states).flatMap(([n, s]) => (s.reason ? [[n, s.reason]] : [])),
      ),
      checkedAt: new Date(r.at).toISOString(),
    };
    if (isOperator(req, opts.operatorToken)) {
      body.probes = probes;
      body.connections = Object.fromEntries([...opts.sources].map(([n, s]) => [n, s.status()]));
      Object.assign(body, opts.operatorDetail?.());
    }
    return {
      status: status === "ready" || status === "degraded" ? 200 : 503,
      body,
      headers: { "cache-control": "no-store" },
    };
  };
}

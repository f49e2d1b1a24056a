// Gateway configuration, read from the environment once.
import path from "node:path";
import { SUBGRAPHS, commonConfig, subgraphUrl, type SubgraphName } from "../platform/config.ts";
import { authConfig, type AuthConfig } from "./auth.ts";
import { PARTNER_POLICY_DEFAULTS, type PartnerPolicy } from "./datasource.ts";

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Compose live from the running subgraphs instead of the supergraph file (development only). */
  composeLive: boolean;
  subgraphUrls: Record<SubgraphName, string>;
  production: boolean;
  internalSecret: string;
  auth: AuthConfig;
  /** Per-client token bucket; false when GATEWAY_RATE_LIMIT_RPS=0. */
  rateLimit: { rps: number; burst: number; trustProxy: boolean | number } | false;
  /** GATEWAY_PARTNER_TIMEOUT_MS, GATEWAY_PARTNER_RETRIES, GATEWAY_BREAKER_FAILURES, GATEWAY_BREAKER_COOLDOWN_MS. */
  partnerPolicy: PartnerPolicy;
}

function intAtLeast(env: Record<string, string | undefined>, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return n;
}

export function gatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const port = Number(env.GATEWAY_PORT || 4000);
  if (!Number.isInteger(port) || port < 0) throw new Error(`GATEWAY_PORT must be a port number, got "${env.GATEWAY_PORT}"`);
  const rps = Number(env.GATEWAY_RATE_LIMIT_RPS || 20);
  const burst = Number(env.GATEWAY_RATE_LIMIT_BURST || 60);
  if (!Number.isFinite(rps) || rps < 0) throw new Error(`GATEWAY_RATE_LIMIT_RPS must be ≥ 0, got "${env.GATEWAY_RATE_LIMIT_RPS}"`);
  if (!Number.isFinite(burst) || burst < 1) throw new Error(`GATEWAY_RATE_LIMIT_BURST must be ≥ 1, got "${env.GATEWAY_RATE_LIMIT_BURST}"`);
  // Honour X-Forwarded-For only behind a known number of proxies ("true" = one).
  const tp = env.GATEWAY_TRUST_PROXY;
  const trustProxy = tp === "true" ? true : tp && /^\d+$/.test(tp) ? Number(tp) : false;
  return {
    host: env.GATEWAY_HOST || "127.0.0.1",
    port,
    supergraphPath: path.resolve(env.SUPERGRAPH_PATH || "schema/supergraph.graphql"),
    composeLive: env.GATEWAY_COMPOSE === "live",
    subgraphUrls: Object.fromEntries(SUBGRAPHS.map((s) => [s, subgraphUrl(s, env)])) as Record<SubgraphName, string>,
    production: env.NODE_ENV === "production",
    internalSecret: commonConfig(env).internalSecret,
    auth: authConfig(env),
    rateLimit: rps === 0 ? false : { rps, burst, trustProxy },
    partnerPolicy: {
      ...PARTNER_POLICY_DEFAULTS,
      timeoutMs: intAtLeast(env, "GATEWAY_PARTNER_TIMEOUT_MS", PARTNER_POLICY_DEFAULTS.timeoutMs, 1),
      retries: intAtLeast(env, "GATEWAY_PARTNER_RETRIES", PARTNER_POLICY_DEFAULTS.retries),
      failureThreshold: intAtLeast(env, "GATEWAY_BREAKER_FAILURES", PARTNER_POLICY_DEFAULTS.failureThreshold, 1),
      coolDownMs: intAtLeast(env, "GATEWAY_BREAKER_COOLDOWN_MS", PARTNER_POLICY_DEFAULTS.coolDownMs, 1),
    },
  };
}

// The gateway's configuration, read from the environment once (gateway/index.ts, scripts/stack.ts
// for `npm start`) and handed whole to startGateway.
import path from "node:path";
import {
  SUBGRAPHS,
  envBool,
  envEnum,
  followerConfig,
  envInt,
  envNumber,
  envOptional,
  envStr,
  internalSecret,
  isProduction,
  logLevel,
  operatorToken,
  otlpEndpoint,
  subgraphUrl,
  type Env,
  type LogLevel,
  type SubgraphName,
} from "../platform/config.ts";
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
  logLevel: LogLevel;
  internalSecret: string;
  auth: AuthConfig;
  /**
   * Per-client limit; false when GATEWAY_RATE_LIMIT_RPS=0. With REDIS_URL the buckets live in
   * Redis, shared by every gateway replica (gateway/ratelimit-redis.ts).
   */
  rateLimit:
    | {
        rps: number;
        burst: number;
        trustProxy: boolean | number;
        redis?: { url: string; keyPrefix?: string };
      }
    | false;
  /** OPERATOR_TOKEN: /ready's detail and /metrics. */
  operatorToken?: string;
  /** GATEWAY_READY_CACHE_MS: one round of readiness probes answers /ready for this long. */
  readyCacheMs: number;
  /** GATEWAY_CORS_ORIGINS: browser origins allowed to call /graphql (comma-separated). */
  corsOrigins: string[];
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where traces go; unset → none. */
  otlpEndpoint?: string;
  /** GATEWAY_PARTNER_TIMEOUT_MS, GATEWAY_PARTNER_RETRIES, GATEWAY_BREAKER_FAILURES, GATEWAY_BREAKER_COOLDOWN_MS. */
  partnerPolicy: PartnerPolicy;
  /**
   * GATEWAY_ROUTE_REPLICA (default true): routeChild answered in the gateway from its own copy of
   * the index (gateway/route-replica.ts), following the partners' feeds every SYNC_INTERVAL_MS
   * and placing postcodes through POSTCODES_URL, as the directory does. False: no copy.
   */
  routeReplica: RouteReplicaSettings | false;
}

export interface RouteReplicaSettings {
  syncIntervalMs: number;
  reconcileIntervalMs: number;
  postcodesUrl?: string;
}

function trustProxy(env: Env): boolean | number {
  // Honour X-Forwarded-For only behind a known number of proxies ("true" = one).
  const tp = envOptional(env, "GATEWAY_TRUST_PROXY");
  if (tp === undefined || tp === "false") return false;
  if (tp === "true") return true;
  if (/^\d+$/.test(tp)) return Number(tp);
  throw new Error(`GATEWAY_TRUST_PROXY must be true, false or a number of proxies, got "${tp}"`);
}

function corsOrigins(env: Env): string[] {
  const list = (envOptional(env, "GATEWAY_CORS_ORIGINS") ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of list) {
    // An origin is scheme://host[:port], exactly as browsers send it (no path, no trailing slash).
    if (o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o)) {
      throw new Error(
        `GATEWAY_CORS_ORIGINS: "${o}" is not an origin such as https://app.example.org`,
      );
    }
  }
  return list;
}

export function gatewayConfig(env: Env = process.env): GatewayConfig {
  const production = isProduction(env);
  const compose = envEnum(env, "GATEWAY_COMPOSE", ["file", "live"] as const, "file");
  if (production && compose === "live")
    throw new Error(
      "GATEWAY_COMPOSE=live is a development option; production serves SUPERGRAPH_PATH",
    );
  const rps = envNumber(env, "GATEWAY_RATE_LIMIT_RPS", 20, 0);
  const burst = envNumber(env, "GATEWAY_RATE_LIMIT_BURST", 60, 1);
  const redisUrl = envOptional(env, "REDIS_URL");
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new Error(`REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`);
  return {
    host: envStr(env, "GATEWAY_HOST", "127.0.0.1"),
    port: envInt(env, "GATEWAY_PORT", 4000),
    supergraphPath: path.resolve(envStr(env, "SUPERGRAPH_PATH", "schema/supergraph.graphql")),
    composeLive: compose === "live",
    subgraphUrls: Object.fromEntries(SUBGRAPHS.map((s) => [s, subgraphUrl(s, env)])) as Record<
      SubgraphName,
      string
    >,
    production,
    logLevel: logLevel(env),
    internalSecret: internalSecret(env),
    auth: authConfig(env),
    rateLimit:
      rps === 0
        ? false
        : {
            rps,
            burst,
            trustProxy: trustProxy(env),
            redis: redisUrl ? { url: redisUrl } : undefined,
          },
    operatorToken: operatorToken(env),
    readyCacheMs: envInt(env, "GATEWAY_READY_CACHE_MS", 2000),
    corsOrigins: corsOrigins(env),
    otlpEndpoint: otlpEndpoint(env),
    routeReplica: envBool(env, "GATEWAY_ROUTE_REPLICA", true) && followerConfig(env),
    partnerPolicy: {
      ...PARTNER_POLICY_DEFAULTS,
      timeoutMs: envInt(env, "GATEWAY_PARTNER_TIMEOUT_MS", PARTNER_POLICY_DEFAULTS.timeoutMs, 1),
      retries: envInt(env, "GATEWAY_PARTNER_RETRIES", PARTNER_POLICY_DEFAULTS.retries),
      failureThreshold: envInt(
        env,
        "GATEWAY_BREAKER_FAILURES",
        PARTNER_POLICY_DEFAULTS.failureThreshold,
        1,
      ),
      coolDownMs: envInt(env, "GATEWAY_BREAKER_COOLDOWN_MS", PARTNER_POLICY_DEFAULTS.coolDownMs, 1),
    },
  };
}

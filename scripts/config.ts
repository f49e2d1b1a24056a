// Configuration of the CLI scripts, each read from the environment once by its own loader (the
// processes' loaders are in platform/config.ts and gateway/config.ts). `generate` and
// `schema:compose` read no environment: they take only their arguments.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import {
  directoryConfig,
  envStr,
  internalSecret,
  isProduction,
  logLevel,
  partnerConfig,
  partnerDbConfig,
  subgraphUrl,
  type DirectoryConfig,
  type Env,
  type LogLevel,
  type PartnerConfig,
  type PartnerDbConfig,
} from "../platform/config.ts";
import { gatewayConfig, type GatewayConfig } from "../gateway/config.ts";
import { webConfig, type WebConfig } from "../web/config.ts";

/** `npm start`: the whole stack in one process, each part configured as if it ran on its own. */
export interface StackConfig {
  production: boolean;
  logLevel: LogLevel;
  partners: Record<PartnerId, PartnerConfig>;
  directory: DirectoryConfig;
  gateway: GatewayConfig;
  /** The web app served at the gateway's "/". */
  web: WebConfig;
}

export function stackConfig(env: Env = process.env): StackConfig {
  return {
    production: isProduction(env),
    logLevel: logLevel(env),
    partners: Object.fromEntries(PARTNERS.map((p) => [p, partnerConfig(p, env)])),
    directory: directoryConfig(env),
    gateway: gatewayConfig(env),
    web: webConfig(env),
  };
}

/** `npm run import`: only where the partner's data lives (no secrets needed to load a file). */
export function importConfig(partner: PartnerId, env: Env = process.env): PartnerDbConfig {
  return partnerDbConfig(partner, env);
}

/**
 * The secret `npm run import` signs with when it sends a file through a running partner (read only
 * then, so a direct import needs none).
 */
export function importSecret(env: Env = process.env): string {
  return internalSecret(env);
}

/** `npm run reindex`: the running directory and the secret it trusts. */
export interface ReindexConfig {
  directoryUrl: string;
  internalSecret: string;
}

export function reindexConfig(env: Env = process.env): ReindexConfig {
  return { directoryUrl: subgraphUrl("directory", env), internalSecret: internalSecret(env) };
}

/** `npm run token`: mints development tokens, which production refuses. */
export interface TokenConfig {
  production: boolean;
}

export function tokenConfig(env: Env = process.env): TokenConfig {
  return { production: isProduction(env) };
}

/**
 * `npm run bench` and the soak: a development stack in one process on free ports, with quiet logs
 * (LOG_LEVEL, default warn) and optionally PostgreSQL (BENCH_POSTGRES_URL).
 */
export interface BenchConfig {
  /** BENCH_POSTGRES_URL: where the PostgreSQL figures are taken (skipped when unreachable). */
  postgresUrl: string;
  logLevel: LogLevel;
  stack: StackConfig;
  /** The bench's own DATA_DIR (a fresh temporary directory, removed when it exits). */
  dataDir: string;
  /** What a process the bench starts needs from this environment to run at all (PATH, HOME). */
  childEnv: Record<string, string>;
}

/**
 * What a process a script starts (npm start, a subgraph) needs from this environment to run at all:
 * PATH and HOME. Nothing else of the caller's shell (NODE_ENV, LOG_LEVEL …) leaks into it.
 */
export function childEnv(env: Env = process.env): Record<string, string> {
  return Object.fromEntries(
    ["PATH", "HOME"].flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]!]])),
  );
}

let dataDirOfThisProcess: string | null = null;
/**
 * The bench's data directory, made once per process (bench.ts and the sub-bench it imports both
 * load a config) and removed when the process exits.
 */
function benchDataDir(): string {
  if (dataDirOfThisProcess) return dataDirOfThisProcess;
  const dir = mkdtempSync(path.join(tmpdir(), "wayfinder-bench-data-"));
  dataDirOfThisProcess = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  // Ctrl-C ends the bench through "exit", so the directory goes too.
  process.once("SIGINT", () => process.exit(130));
  return dir;
}

export function benchConfig(
  opts: { syncIntervalMs: number; rateLimit: boolean },
  env: Env = process.env,
): BenchConfig {
  // Per-request info lines would swamp the output and cost time being written.
  const level = envStr(env, "LOG_LEVEL", "warn");
  // A data directory of the bench's own, removed when it exits: with the default (.data) the
  // directory's state store would be npm start's, and npm start would then restore the bench's
  // copies of services its partners do not hold.
  const dataDir = benchDataDir();
  const stackEnv: Env = {
    LOG_LEVEL: level,
    DATA_DIR: dataDir,
    // Sequential latency runs come from one client, which the per-client limit would throttle.
    ...(opts.rateLimit ? {} : { GATEWAY_RATE_LIMIT_RPS: "0" }),
    SYNC_INTERVAL_MS: String(opts.syncIntervalMs),
    ...Object.fromEntries(
      [...PARTNERS, "directory", "gateway"].map((s) => [`${s.toUpperCase()}_PORT`, "0"]),
    ),
  };
  return {
    postgresUrl: envStr(env, "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
    logLevel: logLevel(stackEnv),
    stack: stackConfig(stackEnv),
    dataDir,
    childEnv: childEnv(env),
  };
}

// Configuration loading for every Wayfinder process. Each process reads its environment ONCE, at
// its entry point, through a loader (this file for the subgraphs, gateway/config.ts for the gateway,
// scripts/config.ts for the CLI scripts) into a typed config; factories below take the slice they
// need as a required argument. `process.env` is read only as a loader's default argument, and the
// development secrets are chosen here, explicitly, and refused in production.
//
// Adding a setting: read it in the loader of the process that uses it with the primitives below
// (envStr, envInt, envOptional, envEnum …), add it to that process's config type, pass it on, and
// add a row to the README's configuration table (tests/config.e2e.ts checks each row reaches the
// process).
import path from "node:path";
import { createHash } from "node:crypto";
import { PARTNERS, PARTNER_INFO, type PartnerId } from "../schema/vocabulary.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The value of `key`, or `fallback` when unset or empty. */
export function envStr(env: Env, key: string, fallback: string): string {
  const v = env[key];
  return v === undefined || v === "" ? fallback : v;
}

/** The value of `key`, or undefined when unset or empty. */
export function envOptional(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === "" ? undefined : v;
}

/** An integer of at least `min`; `fallback` when unset or empty. */
export function envInt(env: Env, key: string, fallback: number, min = 0): number {
  const v = env[key];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`${key} must be an integer of at least ${min}, got "${v}"`);
  return n;
}

/** A finite number of at least `min`; `fallback` when unset or empty. */
export function envNumber(env: Env, key: string, fallback: number, min = 0): number {
  const v = env[key];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min)
    throw new ConfigError(`${key} must be a number of at least ${min}, got "${v}"`);
  return n;
}

/** One of `values`; `fallback` when unset or empty. */
export function envEnum<T extends string>(
  env: Env,
  key: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = envStr(env, key, fallback);
  if (!(values as readonly string[]).includes(v)) {
    throw new ConfigError(
      `${key} must be one of ${values.map((x) => `"${x}"`).join(", ")}, got "${v}"`,
    );
  }
  return v as T;
}

/** `true`/`1` or `false`/`0`; `fallback` when unset or empty. */
export function envBool(env: Env, key: string, fallback: boolean): boolean {
  const v = envOptional(env, key);
  if (v === undefined) return fallback;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ConfigError(`${key} must be true or false, got "${v}"`);
}

export const isProduction = (env: Env): boolean => env.NODE_ENV === "production";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevel(env: Env): LogLevel {
  return envEnum(env, "LOG_LEVEL", LOG_LEVELS, "info");
}

/**
 * The development claims secret. Public (it is in the source), so only this loader may pick it,
 * only outside production; nothing below the loader has a default.
 */
export const DEV_INTERNAL_SECRET = "wayfinder-dev-internal-secret-do-not-use-in-production";

/** INTERNAL_SECRET: signs the gateway → subgraph claims header and the directory's feed token. */
export function internalSecret(env: Env): string {
  const production = isProduction(env);
  const secret = envOptional(env, "INTERNAL_SECRET");
  if (secret === undefined) {
    if (production)
      throw new ConfigError(
        "INTERNAL_SECRET must be set in production (the development default is public)",
      );
    return DEV_INTERNAL_SECRET;
  }
  if (production && secret === DEV_INTERNAL_SECRET) {
    throw new ConfigError(
      "INTERNAL_SECRET is the public development secret; production needs its own",
    );
  }
  if (secret.length < 32) throw new ConfigError("INTERNAL_SECRET must be at least 32 characters");
  return secret;
}

export type SubgraphName = PartnerId | "directory";
export const SUBGRAPHS: readonly SubgraphName[] = [...PARTNERS, "directory"];
/** The directory's port; each partner's comes from its manifest (subgraphs/<id>/partner.json). */
export const DIRECTORY_DEFAULT_PORT = 4104;

const defaultPort = (name: SubgraphName) =>
  name === "directory" ? DIRECTORY_DEFAULT_PORT : PARTNER_INFO[name]!.port;
const upper = (name: string) => name.toUpperCase();

export function subgraphPort(name: SubgraphName, env: Env): number {
  return envInt(env, `${upper(name)}_PORT`, defaultPort(name));
}

/** Where other processes (gateway, directory) reach a subgraph. */
export function subgraphUrl(name: SubgraphName, env: Env): string {
  return envStr(env, `${upper(name)}_URL`, `http://127.0.0.1:${subgraphPort(name, env)}/graphql`);
}

export interface CommonConfig {
  host: string;
  dataDir: string;
  production: boolean;
  logLevel: LogLevel;
  /** Shared secret for the gateway → subgraph claims header (platform/claims.ts). */
  internalSecret: string;
  /** OPERATOR_TOKEN: bearer token for /metrics and /ready's detail; unset keeps them closed. */
  operatorToken?: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP receiver for traces; unset → no tracing. */
  otlpEndpoint?: string;
}

/** OPERATOR_TOKEN: no default (operator endpoints stay closed without it). */
export function operatorToken(env: Env): string | undefined {
  const token = envOptional(env, "OPERATOR_TOKEN");
  if (token !== undefined && token.length < 16)
    throw new ConfigError("OPERATOR_TOKEN must be at least 16 characters");
  return token;
}

/** OTEL_EXPORTER_OTLP_ENDPOINT, the standard OpenTelemetry variable (base URL; /v1/traces is added). */
export function otlpEndpoint(env: Env): string | undefined {
  const url = envOptional(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got "${url}"`);
  }
  return url;
}

export function commonConfig(env: Env = process.env): CommonConfig {
  return {
    host: envStr(env, "HOST", "127.0.0.1"),
    dataDir: path.resolve(envStr(env, "DATA_DIR", ".data")),
    production: isProduction(env),
    logLevel: logLevel(env),
    internalSecret: internalSecret(env),
    operatorToken: operatorToken(env),
    otlpEndpoint: otlpEndpoint(env),
  };
}

/** Where a partner's data lives: what the import script and the subgraph both need. */
export interface PartnerDbConfig {
  partner: PartnerId;
  /** <PARTNER>_DATABASE_URL; unset → embedded PGlite under dataDir/<partner>. */
  databaseUrl?: string;
  pgliteDir: string;
}

export function partnerDbConfig(partner: PartnerId, env: Env = process.env): PartnerDbConfig {
  return {
    partner,
    databaseUrl: envOptional(env, `${upper(partner)}_DATABASE_URL`),
    pgliteDir: path.join(path.resolve(envStr(env, "DATA_DIR", ".data")), partner),
  };
}

export interface PartnerConfig extends CommonConfig, PartnerDbConfig {
  port: number;
  /** REFERRAL_ENCRYPTION_KEY and REFERRAL_RETENTION_DAYS: referrals kept by this partner. */
  referrals: { encryptionKey: Buffer; retentionDays: number };
}

/**
 * The development referral key. Public (derived from a string in the source), so only this loader
 * may pick it, only outside production.
 */
export const DEV_REFERRAL_KEY = createHash("sha256")
  .update("wayfinder-dev-referral-key-do-not-use-in-production")
  .digest();

/** REFERRAL_ENCRYPTION_KEY: 32 bytes, as 64 hex digits or base64; required in production. */
export function referralEncryptionKey(env: Env): Buffer {
  const raw = envOptional(env, "REFERRAL_ENCRYPTION_KEY");
  if (raw === undefined) {
    if (isProduction(env))
      throw new ConfigError(
        "REFERRAL_ENCRYPTION_KEY must be set in production (32 bytes: 64 hex digits or base64)",
      );
    return DEV_REFERRAL_KEY;
  }
  const key = /^[0-9a-fA-F]{64}$/.test(raw)
    ? Buffer.from(raw, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(raw)
      ? Buffer.from(raw, "base64")
      : null;
  if (!key || key.length !== 32)
    throw new ConfigError(
      "REFERRAL_ENCRYPTION_KEY must be 32 bytes: 64 hex digits or 44 characters of base64",
    );
  if (isProduction(env) && key.equals(DEV_REFERRAL_KEY))
    throw new ConfigError("REFERRAL_ENCRYPTION_KEY is the public development key");
  return key;
}

/** One partner subgraph process (`npm run start:subgraph -- <partner>`). */
export function partnerConfig(partner: PartnerId, env: Env = process.env): PartnerConfig {
  return {
    ...commonConfig(env),
    ...partnerDbConfig(partner, env),
    port: subgraphPort(partner, env),
    referrals: {
      encryptionKey: referralEncryptionKey(env),
      retentionDays: envInt(env, "REFERRAL_RETENTION_DAYS", 365, 1),
    },
  };
}

export interface DirectoryConfig extends CommonConfig {
  port: number;
  partnerUrls: Record<PartnerId, string>;
  /** SEARCH_BACKEND: the in-process search index when MEILI_URL is unset. */
  searchBackend: "embedded" | "orama";
  meiliUrl?: string;
  meiliApiKey?: string;
  meiliIndex: string;
  postcodesUrl?: string;
  syncIntervalMs: number;
  /** Where the directory keeps its sync checkpoints and service copies (PGlite); see stateUrl. Unset → in memory (tests). */
  stateDir?: string;
  /** DIRECTORY_DATABASE_URL: PostgreSQL for the directory's state instead of PGlite. */
  stateUrl?: string;
  /** RECONCILE_INTERVAL_MS: how often partners' inventories are compared with the index. */
  reconcileIntervalMs: number;
}

function searchBackend(env: Env): DirectoryConfig["searchBackend"] {
  const v = envEnum(env, "SEARCH_BACKEND", ["embedded", "orama"] as const, "embedded");
  if (v === "orama" && envOptional(env, "MEILI_URL")) {
    throw new ConfigError("SEARCH_BACKEND=orama and MEILI_URL are both set; choose one");
  }
  return v;
}

/** The directory subgraph process (`npm run start:subgraph -- directory`). */
export function directoryConfig(env: Env = process.env): DirectoryConfig {
  const common = commonConfig(env);
  return {
    ...common,
    port: subgraphPort("directory", env),
    partnerUrls: Object.fromEntries(PARTNERS.map((p) => [p, subgraphUrl(p, env)])) as Record<
      PartnerId,
      string
    >,
    searchBackend: searchBackend(env),
    meiliUrl: envOptional(env, "MEILI_URL"),
    meiliApiKey: envOptional(env, "MEILI_API_KEY"),
    meiliIndex: envStr(env, "MEILI_INDEX", "services"),
    ...followerConfig(env),
    stateDir: path.join(common.dataDir, "directory"),
    stateUrl: envOptional(env, "DIRECTORY_DATABASE_URL"),
  };
}

/**
 * How a copy of the index follows the partners and places postcodes: the directory's, and the
 * gateway's route replica's (gateway/config.ts), read alike so both copies behave alike.
 */
export function followerConfig(env: Env) {
  return {
    postcodesUrl: envOptional(env, "POSTCODES_URL"),
    syncIntervalMs: envInt(env, "SYNC_INTERVAL_MS", 2000, 1),
    reconcileIntervalMs: envInt(env, "RECONCILE_INTERVAL_MS", 300_000, 1),
  };
}

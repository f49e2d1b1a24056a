// Configuration for every Wayfinder process, read from the environment in one place, with defaults
// that work on a fresh machine (embedded PGlite databases under .data, fixed local ports).
import path from "node:path";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { DEV_INTERNAL_SECRET } from "./claims.ts";

export type SubgraphName = PartnerId | "directory";
export const SUBGRAPHS: readonly SubgraphName[] = [...PARTNERS, "directory"];

const DEFAULT_PORTS: Record<SubgraphName, number> = {
  council: 4101,
  charity: 4102,
  health: 4103,
  directory: 4104,
};

type Env = Record<string, string | undefined>;

function str(env: Env, key: string, fallback: string): string {
  const v = env[key];
  return v === undefined || v === "" ? fallback : v;
}

function int(env: Env, key: string, fallback: number): number {
  const v = env[key];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got "${v}"`);
  return n;
}

export interface CommonConfig {
  host: string;
  dataDir: string;
  production: boolean;
  logLevel: string;
  /** Shared secret for the gateway → subgraph claims header (see internal-auth.ts). */
  internalSecret: string;
}

export function commonConfig(env: Env = process.env): CommonConfig {
  const production = env.NODE_ENV === "production";
  const internalSecret = str(env, "INTERNAL_SECRET", DEV_INTERNAL_SECRET);
  if (production && internalSecret === DEV_INTERNAL_SECRET) {
    throw new Error("INTERNAL_SECRET must be set in production (the development default is public)");
  }
  if (internalSecret.length < 32) throw new Error("INTERNAL_SECRET must be at least 32 characters");
  return {
    host: str(env, "HOST", "127.0.0.1"),
    dataDir: path.resolve(str(env, "DATA_DIR", ".data")),
    production,
    logLevel: str(env, "LOG_LEVEL", "info"),
    internalSecret,
  };
}

const upper = (name: string) => name.toUpperCase();

export function subgraphPort(name: SubgraphName, env: Env = process.env): number {
  return int(env, `${upper(name)}_PORT`, DEFAULT_PORTS[name]);
}

/** Where other processes (gateway, directory) reach a subgraph. */
export function subgraphUrl(name: SubgraphName, env: Env = process.env): string {
  return str(env, `${upper(name)}_URL`, `http://127.0.0.1:${subgraphPort(name, env)}/graphql`);
}

export interface PartnerConfig extends CommonConfig {
  partner: PartnerId;
  port: number;
  /** PostgreSQL URL; unset → embedded PGlite under dataDir/<partner>. */
  databaseUrl?: string;
  pgliteDir: string;
}

export function partnerConfig(partner: PartnerId, env: Env = process.env): PartnerConfig {
  const common = commonConfig(env);
  return {
    ...common,
    partner,
    port: subgraphPort(partner, env),
    databaseUrl: env[`${upper(partner)}_DATABASE_URL`] || undefined,
    pgliteDir: path.join(common.dataDir, partner),
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
  /** Where the directory keeps its sync checkpoints and service copies (PGlite); see stateUrl. */
  stateDir: string;
  /** DIRECTORY_DATABASE_URL: PostgreSQL for the directory's state instead of PGlite. */
  stateUrl?: string;
  /** RECONCILE_INTERVAL_MS: how often partners' inventories are compared with the index. */
  reconcileIntervalMs: number;
}

function searchBackend(env: Env): DirectoryConfig["searchBackend"] {
  const v = str(env, "SEARCH_BACKEND", "embedded");
  if (v !== "embedded" && v !== "orama") {
    throw new Error(`SEARCH_BACKEND must be "embedded" or "orama", got "${v}"`);
  }
  if (v === "orama" && env.MEILI_URL) {
    throw new Error("SEARCH_BACKEND=orama and MEILI_URL are both set; choose one");
  }
  return v;
}

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
    meiliUrl: env.MEILI_URL || undefined,
    meiliApiKey: env.MEILI_API_KEY || undefined,
    meiliIndex: str(env, "MEILI_INDEX", "services"),
    postcodesUrl: env.POSTCODES_URL || undefined,
    syncIntervalMs: int(env, "SYNC_INTERVAL_MS", 2000),
    stateDir: path.join(common.dataDir, "directory"),
    stateUrl: env.DIRECTORY_DATABASE_URL || undefined,
    reconcileIntervalMs: int(env, "RECONCILE_INTERVAL_MS", 300_000),
  };
}

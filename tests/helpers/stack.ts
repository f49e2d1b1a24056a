// Whole-stack test helper (Apollo's startSubgraphsAndGateway habit): real partner databases loaded
// from the fixed dataset (or a test's own), real subgraphs and gateway on port 0.
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { openDb, type Db } from "../../subgraphs/kit/db/db.ts";
import { startStack, type Stack, type StackDeps } from "../../scripts/stack.ts";
import { stackConfig, type StackConfig } from "../../scripts/config.ts";
import type { GatewayConfig } from "../../gateway/config.ts";
import { configureLogging } from "../../platform/log.ts";
import type { DirectoryConfig } from "../../platform/config.ts";
import type { BatchObserver } from "../../subgraphs/kit/loaders.ts";
import type { SearchBackend } from "../../subgraphs/directory/search/types.ts";
import { DATASET } from "../fixtures/dataset.ts";
import type { HsdsBundle } from "../../subgraphs/kit/hsds/format.ts";
import { dropSchemaOf, freshSchemaUrl } from "./postgres.ts";
import {
  fixtureBlob,
  loadDataset,
  provided,
  providedFixtures,
  type SharedStackUrls,
} from "./fixture-dbs.ts";

export type DbKind = "pglite" | "postgres";

export async function openFixtureDbs(
  kind: DbKind,
  dataset: Record<PartnerId, HsdsBundle> = DATASET,
): Promise<{ dbs: Record<PartnerId, Db>; close(): Promise<void> }> {
  const urls = {} as Record<PartnerId, string>;
  // PGlite starts from the run's prebuilt dumps (tests/helpers/global-setup.ts) when there are
  // some: the fixed dataset as loaded, any other dataset imported into an empty migrated copy.
  const fixtures = kind === "pglite" ? providedFixtures() : undefined;
  const prebuilt = fixtures !== undefined && dataset === DATASET;
  const dbs = Object.fromEntries(
    await Promise.all(
      PARTNERS.map(async (p) => {
        if (kind === "postgres") {
          urls[p] = freshSchemaUrl(`e2e_${p}`);
          return [p, await openDb({ url: urls[p] })] as const;
        }
        if (!fixtures) return [p, await openDb({})] as const;
        return [
          p,
          await openDb({
            loadDataDir: await fixtureBlob(prebuilt ? fixtures.dataset[p] : fixtures.empty),
          }),
        ] as const;
      }),
    ),
  ) as Record<PartnerId, Db>;
  if (!prebuilt) await loadDataset(dbs, dataset);
  return {
    dbs,
    async close() {
      await Promise.all(PARTNERS.map((p) => dbs[p].close()));
      if (kind === "postgres") await Promise.all(PARTNERS.map((p) => dropSchemaOf(urls[p])));
    },
  };
}

/** Settings a test may change; everything else is what the loader gives a fresh machine. */
export interface TestStackOptions {
  /** Extra environment for the loader (e.g. INTERNAL_SECRET, NODE_ENV + AUTH_*). */
  env?: Record<string, string>;
  backend?: SearchBackend;
  observeBatches?: BatchObserver;
  searchBackend?: DirectoryConfig["searchBackend"];
  syncIntervalMs?: number;
  /** Directory state store (checkpoints, service copies): a PGlite directory; in memory when unset. */
  directoryStateDir?: string;
  directoryStateUrl?: string;
  reconcileIntervalMs?: number;
  /** Gateway per-client rate limit; off unless given (test files fire hundreds of requests). */
  rateLimit?: GatewayConfig["rateLimit"];
  /** Gateway timeouts, retries and circuit breaker for subgraph calls. */
  partnerPolicy?: Partial<GatewayConfig["partnerPolicy"]>;
  supergraphPath?: string;
  /** The clock referrals are timed by (due times, overdue, retention); the real one when unset. */
  now?: () => Date;
  /** First referral-webhook retry after this long; 30 s when unset. */
  webhookRetryBaseMs?: number;
  /** How often referral retention runs; hourly when unset. */
  purgeIntervalMs?: number;
  /** Clocks for the gateway's subgraph timeouts and breakers, by subgraph (tests/helpers/clock.ts). */
  clocks?: StackDeps["clocks"];
}

/**
 * The config `npm start` would load from `env`, on free ports (port 0), through the same loader
 * (scripts/config.ts stackConfig) and the same composition root (scripts/stack.ts startStack).
 */
export function testStackConfig(opts: TestStackOptions = {}): StackConfig {
  const ports = Object.fromEntries(
    [...PARTNERS, "directory", "gateway"].map((s) => [`${s.toUpperCase()}_PORT`, "0"]),
  );
  // Tests that check log lines capture them explicitly; the rest would only be noise.
  const cfg = stackConfig({
    ...ports,
    LOG_LEVEL: "warn",
    SYNC_INTERVAL_MS: String(opts.syncIntervalMs ?? 300),
    ...opts.env,
  });
  if (opts.searchBackend) cfg.directory.searchBackend = opts.searchBackend;
  // The directory's state store lives in memory unless a test gives it a place.
  cfg.directory.stateDir = opts.directoryStateDir;
  cfg.directory.stateUrl = opts.directoryStateUrl;
  if (opts.reconcileIntervalMs) cfg.directory.reconcileIntervalMs = opts.reconcileIntervalMs;
  cfg.gateway.rateLimit = opts.rateLimit ?? false;
  // /ready answers from fresh probes, so a test sees a partner go down at once (the cache has its own test).
  if (!opts.env?.GATEWAY_READY_CACHE_MS) cfg.gateway.readyCacheMs = 0;
  // A healthy partner never times out in a test, however loaded the machine: the production 3 s
  // would turn a slow answer into PARTNER_UNAVAILABLE. Tests of timeouts set their own (on a clock
  // they move: tests/helpers/clock.ts); a dead partner is refused at once, not timed out.
  if (!opts.env?.GATEWAY_PARTNER_TIMEOUT_MS)
    cfg.gateway.partnerPolicy = { ...cfg.gateway.partnerPolicy, timeoutMs: 120_000 };
  if (opts.partnerPolicy)
    cfg.gateway.partnerPolicy = { ...cfg.gateway.partnerPolicy, ...opts.partnerPolicy };
  if (opts.supergraphPath) cfg.gateway.supergraphPath = opts.supergraphPath;
  return cfg;
}

export async function startTestStack(
  kind: DbKind,
  opts: TestStackOptions & { dataset?: Record<PartnerId, HsdsBundle> } = {},
): Promise<Stack & { dbs: Record<PartnerId, Db>; config: StackConfig }> {
  const fixture = await openFixtureDbs(kind, opts.dataset);
  const config = testStackConfig(opts);
  configureLogging({ service: "test", level: config.logLevel });
  const stack = await startStack(config, {
    dbs: fixture.dbs,
    backend: opts.backend,
    observeBatches: opts.observeBatches,
    now: opts.now,
    webhookRetryBaseMs: opts.webhookRetryBaseMs,
    purgeIntervalMs: opts.purgeIntervalMs,
    clocks: opts.clocks,
  });
  return {
    ...stack,
    dbs: fixture.dbs,
    config,
    async close() {
      await stack.close();
      await fixture.close();
    },
  };
}

export type TestStack = Awaited<ReturnType<typeof startTestStack>>;
export type { SharedStackUrls };

let ownShared: Promise<SharedStackUrls> | undefined;

/**
 * The run's shared stack over the fixed dataset, with the default settings: the e2e project's
 * global setup starts it once (tests/helpers/global-setup.ts) and every file that asks gets its
 * URLs. Only for files that read through it: a file that writes to its databases, stops a partner,
 * restarts the directory, needs other settings or watches batches starts its own with
 * startTestStack. Outside the e2e project (no global setup) it is a stack of this file's own.
 */
export async function sharedTestStack(): Promise<SharedStackUrls> {
  const urls = provided("sharedStack");
  if (urls) return urls;
  ownShared ??= startTestStack("pglite");
  return ownShared;
}

/** Options for a gateway a test starts on its own: the development config on a free port. */
export function testGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...testStackConfig().gateway, ...overrides };
}

export interface GqlResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: (string | number)[] }[];
}

export async function gql<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

/**
 * Polls until check() passes (sync runs every few hundred ms in tests). The timeout is a deadline
 * for a check that never passes, not a speed limit: generous, so a loaded machine only makes a
 * passing test slower, never a failing one.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

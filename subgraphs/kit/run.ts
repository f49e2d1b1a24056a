// Runs one partner subgraph as its own process (`npm run start:subgraph -- <partner>`, as
// docker-compose runs it): config (read once) → logging → database → server → graceful shutdown.
import { partnerConfig, type PartnerConfig, type PartnerDbConfig } from "../../platform/config.ts";
import { configureLogging } from "../../platform/log.ts";
import { loadConfig, onShutdown } from "../../platform/process.ts";
import { initTracing } from "../../platform/tracing.ts";
import { openDb, type Db, type DbOptions } from "./db/db.ts";
import type { PartnerServer } from "./partner.server.ts";
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { RunningHttp } from "../../platform/http.ts";

export async function openPartnerDb(
  cfg: PartnerDbConfig,
  migrationDirs: string[] = [],
  opts: Pick<DbOptions, "startFrom"> = {},
): Promise<Db> {
  return openDb({
    url: cfg.databaseUrl,
    dataDir: cfg.databaseUrl ? undefined : cfg.pgliteDir,
    migrationDirs,
    ...opts,
  });
}

/** Starts a built partner server with its process config: the one place its secret is passed. */
export function listenPartner(
  server: PartnerServer,
  cfg: Pick<PartnerConfig, "host" | "port" | "internalSecret" | "operatorToken"> &
    Partial<Pick<PartnerConfig, "referrals">>,
  opts: { now?: () => Date; webhookRetryBaseMs?: number; purgeIntervalMs?: number } = {},
): Promise<RunningHttp> {
  return server.start({
    host: cfg.host,
    port: cfg.port,
    internalSecret: cfg.internalSecret,
    operatorToken: cfg.operatorToken,
    referrals: cfg.referrals
      ? {
          ...cfg.referrals,
          now: opts.now,
          webhookRetryBaseMs: opts.webhookRetryBaseMs,
          purgeIntervalMs: opts.purgeIntervalMs,
        }
      : undefined,
  });
}

export async function runPartner(
  partner: PartnerId,
  createServer: (db: Db) => Promise<PartnerServer>,
  migrationDirs: string[],
): Promise<{ db: Db; http: RunningHttp }> {
  const cfg = loadConfig(() => partnerConfig(partner));
  configureLogging({ service: partner, level: cfg.logLevel });
  const tracing = initTracing(`wayfinder-${partner}`, cfg);
  const db = await openPartnerDb(cfg, migrationDirs);
  const http = await listenPartner(await createServer(db), cfg);
  // From here on, `npm run import` into this partner goes through this process.
  await db.advertise?.({ url: http.url, holder: `${partner} subgraph` });
  console.log(`${partner} subgraph ready at ${http.url} (${db.kind})`);
  onShutdown(async () => {
    await http.close();
    await db.close();
    await tracing?.shutdown();
  });
  return { db, http };
}

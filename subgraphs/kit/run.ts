// Runs one partner subgraph as its own process: config → database → server → graceful shutdown.
import { partnerConfig } from "../../platform/config.ts";
import { openDb, type Db } from "./db/db.ts";
import type { PartnerServer } from "./partner.server.ts";
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { RunningHttp } from "../../platform/http.ts";
import { onShutdown } from "../../platform/process.ts";

export async function openPartnerDb(partner: PartnerId, migrationDirs: string[] = []): Promise<Db> {
  const cfg = partnerConfig(partner);
  return openDb({ url: cfg.databaseUrl, dataDir: cfg.databaseUrl ? undefined : cfg.pgliteDir, migrationDirs });
}

export async function runPartner(
  partner: PartnerId,
  createServer: (db: Db) => Promise<PartnerServer>,
  migrationDirs: string[],
): Promise<{ db: Db; http: RunningHttp }> {
  const cfg = partnerConfig(partner);
  const db = await openPartnerDb(partner, migrationDirs);
  const http = await (await createServer(db)).start({ host: cfg.host, port: cfg.port });
  console.log(`${partner} subgraph ready at ${http.url} (${db.kind})`);
  onShutdown(async () => {
    await http.close();
    await db.close();
  });
  return { db, http };
}

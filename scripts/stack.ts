// Starts the whole stack in one process, each subgraph and the gateway on its own port: the partner
// subgraphs, the directory, the gateway with the web app at its "/". The composition root of `npm start`, the in-process e2e
// tests and the bench: it takes the same typed configs the separate processes load
// (scripts/config.ts stackConfig), whole, so nothing a process honours can be dropped here.
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import type { RunningHttp } from "../platform/http.ts";
import type { BatchObserver } from "../subgraphs/kit/loaders.ts";
import { listenPartner } from "../subgraphs/kit/run.ts";
import { startDirectory, type RunningDirectory } from "../subgraphs/directory/start.ts";
import type { SearchBackend } from "../subgraphs/directory/search/types.ts";
import type { DirectoryState } from "../subgraphs/directory/state/state.ts";
import { startGateway, type GatewayOptions, type RunningGateway } from "../gateway/server.ts";
import { createWeb } from "../web/server.ts";
import type { StackConfig } from "./config.ts";

export interface StackDeps {
  /** Each partner's open database (the caller owns and closes them). */
  dbs: Record<PartnerId, Db>;
  /** The directory's state store, opened from cfg.directory ahead of the stack (npm start); the directory owns it. */
  directoryState?: DirectoryState;
  /** A prepared search backend instead of the one the directory config names (tests). */
  backend?: SearchBackend;
  observeBatches?: BatchObserver;
  /** The clock referrals are timed by (tests move it instead of sleeping); the real one by default. */
  now?: () => Date;
  /** First webhook retry after this long (tests shorten it); 30 s by default. */
  webhookRetryBaseMs?: number;
  /** How often referral retention runs (tests shorten it); hourly by default. */
  purgeIntervalMs?: number;
  /** Clocks for the gateway's subgraph timeouts and breakers, by subgraph (tests). */
  clocks?: GatewayOptions["clocks"];
}

export interface Stack {
  gatewayUrl: string;
  partners: Record<PartnerId, RunningHttp>;
  directory: RunningDirectory;
  gateway: RunningGateway;
  /** Stops one partner's HTTP server (its database stays open), to test a partner going offline. */
  stopPartner(partner: PartnerId): Promise<void>;
  /** Starts a stopped partner again on the same port. */
  startPartner(partner: PartnerId): Promise<void>;
  /** Stops the directory and starts a new one on the same port and state store (a restart). */
  restartDirectory(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(cfg: StackConfig, deps: StackDeps): Promise<Stack> {
  const partners = {} as Record<PartnerId, RunningHttp>;
  const startPartner = async (p: PartnerId, port: number) => {
    const server = await PARTNER_MODULES[p]!.createServer(deps.dbs[p]!, deps.observeBatches);
    partners[p] = await listenPartner(
      server,
      { ...cfg.partners[p]!, port },
      {
        now: deps.now,
        webhookRetryBaseMs: deps.webhookRetryBaseMs,
        purgeIntervalMs: deps.purgeIntervalMs,
      },
    );
  };
  await Promise.all(PARTNERS.map((p) => startPartner(p, cfg.partners[p]!.port)));
  // In one process the subgraphs reach each other where they actually listen (ports may be 0).
  const partnerUrls = Object.fromEntries(PARTNERS.map((p) => [p, partners[p]!.url])) as Record<
    PartnerId,
    string
  >;
  let directory = await startDirectory(
    { ...cfg.directory, partnerUrls },
    { backend: deps.backend, state: deps.directoryState },
  );
  const gateway = await startGateway({
    ...cfg.gateway,
    subgraphUrls: { ...cfg.gateway.subgraphUrls, ...partnerUrls, directory: directory.http.url },
    clocks: deps.clocks,
    web: (graphqlUrl) => createWeb({ ...cfg.web, graphqlUrl }),
  });
  return {
    gatewayUrl: gateway.url,
    partners,
    get directory() {
      return directory;
    },
    gateway,
    async stopPartner(p) {
      await partners[p]!.close();
    },
    async startPartner(p) {
      await startPartner(p, partners[p]!.port);
    },
    async restartDirectory() {
      const port = directory.http.port;
      await directory.close();
      directory = await startDirectory({ ...cfg.directory, partnerUrls, port });
    },
    async close() {
      await gateway.close();
      await directory.close();
      await Promise.all(PARTNERS.map((p) => partners[p]!.close().catch(() => undefined)));
    },
  };
}

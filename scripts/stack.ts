// Starts the whole stack in one process, each subgraph and the gateway on its own port: three
// partner subgraphs, the directory, the gateway. Used by `npm start`, the e2e tests and the bench.
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import type { RunningHttp } from "../platform/http.ts";
import type { BatchObserver } from "../subgraphs/kit/loaders.ts";
import { startDirectory, type RunningDirectory } from "../subgraphs/directory/start.ts";
import type { SearchBackend } from "../subgraphs/directory/search/types.ts";
import { startGateway, type GatewayOptions, type RunningGateway } from "../gateway/server.ts";

export interface StackOptions {
  dbs: Record<PartnerId, Db>;
  host?: string;
  /** Fixed ports (npm start); 0 or absent picks free ports (tests). */
  ports?: Partial<Record<PartnerId | "directory" | "gateway", number>>;
  supergraphPath?: string;
  backend?: SearchBackend;
  /** In-process search index when meiliUrl is unset. Default "embedded". */
  searchBackend?: "embedded" | "orama";
  meiliUrl?: string;
  meiliApiKey?: string;
  meiliIndex?: string;
  postcodesUrl?: string;
  syncIntervalMs?: number;
  /** Directory state store (checkpoints, service copies): a PGlite directory; in memory when unset. */
  directoryStateDir?: string;
  directoryStateUrl?: string;
  reconcileIntervalMs?: number;
  observeBatches?: BatchObserver;
  /** Gateway per-client rate limit; false turns it off. */
  rateLimit?: GatewayOptions["rateLimit"];
  /** Gateway timeouts, retries and circuit breaker for subgraph calls. */
  partnerPolicy?: GatewayOptions["partnerPolicy"];
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
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const host = opts.host ?? "127.0.0.1";
  const partners = {} as Record<PartnerId, RunningHttp>;
  const startPartner = async (p: PartnerId, port: number) => {
    const server = await PARTNER_MODULES[p].createServer(opts.dbs[p], opts.observeBatches);
    partners[p] = await server.start({ host, port });
  };
  await Promise.all(PARTNERS.map((p) => startPartner(p, opts.ports?.[p] ?? 0)));
  const partnerUrls = Object.fromEntries(PARTNERS.map((p) => [p, partners[p].url])) as Record<PartnerId, string>;
  const directory = await startDirectory(
    {
      host,
      port: opts.ports?.directory ?? 0,
      partnerUrls,
      searchBackend: opts.searchBackend ?? "embedded",
      meiliUrl: opts.meiliUrl,
      meiliApiKey: opts.meiliApiKey,
      meiliIndex: opts.meiliIndex ?? "services",
      postcodesUrl: opts.postcodesUrl,
      syncIntervalMs: opts.syncIntervalMs ?? 1000,
      stateDir: opts.directoryStateDir,
      stateUrl: opts.directoryStateUrl,
      reconcileIntervalMs: opts.reconcileIntervalMs,
    },
    { backend: opts.backend },
  );
  const gateway = await startGateway({
    host,
    port: opts.ports?.gateway ?? 0,
    supergraphPath: opts.supergraphPath ?? "schema/supergraph.graphql",
    subgraphUrls: { ...partnerUrls, directory: directory.http.url },
    rateLimit: opts.rateLimit,
    partnerPolicy: opts.partnerPolicy,
  });
  return {
    gatewayUrl: gateway.url,
    partners,
    directory,
    gateway,
    async stopPartner(p) {
      await partners[p].close();
    },
    async startPartner(p) {
      await startPartner(p, partners[p].port);
    },
    async close() {
      await gateway.close();
      await directory.close();
      await Promise.all(PARTNERS.map((p) => partners[p].close().catch(() => undefined)));
    },
  };
}

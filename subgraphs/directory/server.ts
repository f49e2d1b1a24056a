// The directory subgraph: owns the Service/Organization entity interfaces, the search index and
// searchServices. Built here; index.ts listens.
import type { GraphQLSchema } from "graphql";
import DataLoader from "dataloader";
import { buildFederatedSchema } from "../kit/federation.ts";
import { requireScope, type RunningHttp } from "../../platform/http.ts";
import { serveSubgraph } from "../kit/serve.ts";
import { isOperator } from "../../platform/operator.ts";
import { directoryMetrics } from "./metrics.ts";
import { PARTNERS } from "../../schema/vocabulary.ts";
import type { DirectoryContext, PostcodeLookup } from "./context.ts";
import { DirectorySync } from "./sync.ts";
import {
  ORGANIZATION_STUBS,
  SERVICE_STUBS,
  directoryReferenceResolvers,
} from "./types/entities.ts";
import { SearchResolver } from "./search.resolver.ts";
import { ReferenceResolver } from "./reference.resolver.ts";
import { RouteResolver } from "./route/route.resolver.ts";
import { ServiceEdgeResolver } from "./search.resolver.ts";
import { PartnerReferralHealthResolver, ReferralResolver } from "./referral/referral.resolver.ts";
import type { PartnerId } from "../../schema/vocabulary.ts";

export interface DirectoryServer {
  schema: GraphQLSchema;
  sync: DirectorySync;
  /** internalSecret: INTERNAL_SECRET from the process's config; no default. operatorToken: OPERATOR_TOKEN, opening /metrics and /ready's detail. */
  start(opts: {
    host: string;
    port: number;
    internalSecret: string;
    operatorToken?: string;
  }): Promise<RunningHttp>;
}

export async function buildDirectorySchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    {
      resolvers: [
        SearchResolver,
        ServiceEdgeResolver,
        ReferenceResolver,
        RouteResolver,
        ReferralResolver,
        PartnerReferralHealthResolver,
      ],
      orphanedTypes: [...SERVICE_STUBS, ...ORGANIZATION_STUBS],
    },
    directoryReferenceResolvers(),
  );
}

export async function createServer(opts: {
  sync: DirectorySync;
  postcodes: PostcodeLookup;
  /** Each partner's GraphQL URL, for relaying referral calls to the partner that owns them. */
  partnerUrls?: Record<PartnerId, string>;
}): Promise<DirectoryServer> {
  const schema = await buildDirectorySchema();
  const sync = opts.sync;
  // The backend is read through the sync on every request, so a reindex can swap it live.
  const context: DirectoryContext = {
    get backend() {
      return sync.backend;
    },
    sync,
    postcodes: opts.postcodes,
  };
  return {
    schema,
    sync: opts.sync,
    start({ host, port, internalSecret: secret, operatorToken }) {
      if (!secret) throw new Error("directory: start() needs internalSecret (INTERNAL_SECRET)");
      return serveSubgraph({
        name: "directory",
        schema,
        service: "directory",
        host,
        port,
        secret,
        operatorToken,
        registerMetrics: (metrics) => directoryMetrics(metrics, sync),
        context: (claims): DirectoryContext => {
          const backend = sync.backend;
          return {
            ...context,
            backend,
            claims,
            docs: new DataLoader((ids: readonly string[]) => backend.get([...ids])),
            referrals: opts.partnerUrls ? { partnerUrls: opts.partnerUrls, secret } : undefined,
          };
        },
        routes: {
          "/health": async () => ({ status: 200, body: { status: "ok", subgraph: "directory" } }),
          // Ready once any partner's feed has been read; a partner whose feed cannot be read (now)
          // is `down` with its reason, and its documents are served as stale.
          "/ready": async (req) => {
            const partners = PARTNERS.map((p) => opts.sync.status.get(p)!);
            const synced = partners.some((p) => p.lastSyncAt !== null);
            const allUp = partners.every((p) => p.reachable);
            const body: Record<string, unknown> = {
              status: !synced ? "syncing" : allUp ? "ready" : "degraded",
              partners: Object.fromEntries(
                partners.map((p) => [p.partner, p.reachable ? "up" : "down"]),
              ),
              reasons: Object.fromEntries(
                partners.flatMap((p) => (p.reachable ? [] : [[p.partner, p.reason]])),
              ),
            };
            if (isOperator(req, operatorToken)) {
              Object.assign(body, {
                backend: sync.backend.name,
                persistentState: sync.state.persistent,
                detail: partners,
                reconcile: sync.lastReconcileReports,
              });
            }
            return { status: synced ? 200 : 503, body, headers: { "cache-control": "no-store" } };
          },
          // What changed in the index since a generation, for the gateway's public read cache.
          "/invalidations": requireScope(sync.changes.route(), "service:sync", secret, "directory"),
          // Internal admin route for `npm run reindex`: POST starts a rebuild, GET reports progress.
          "/reindex": requireScope(
            async (req) => {
              if (req.method === "POST") void sync.reindex();
              return { status: req.method === "POST" ? 202 : 200, body: sync.reindexProgress };
            },
            "service:admin",
            secret,
            "directory",
          ),
        },
      });
    },
  };
}

export { DirectorySync };

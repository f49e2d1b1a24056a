// The Wayfinder gateway: Apollo Gateway over the committed supergraph (so it starts while a partner
// is down), hot-reloading when the file changes, with /health and /ready.
// First, so that @apollo/gateway never starts its usage reporting or cloud-metadata probes.
import "../platform/no-phone-home.ts";
import { ApolloServer } from "@apollo/server";
import { randomUUID } from "node:crypto";
import { ApolloGateway } from "@apollo/gateway";
import { fileSupergraph, liveSupergraph } from "./supergraph.ts";
import { startHttp, type RunningHttp } from "../platform/http.ts";
import { createVerifier, type AuthConfig } from "./auth.ts";
import { SAFE_REQUEST_ID, type GatewayContext } from "./context.ts";
import { PartnerDataSource, type PartnerPolicy } from "./datasource.ts";
import { createHardening, type HardeningOptions } from "./hardening.ts";
import { createLogger, rootLogger, type Logger } from "../platform/log.ts";
import type { LogLevel } from "../platform/config.ts";

export interface GatewayOptions {
  /** Path of the supergraph file; ignored when composeLive. */
  supergraphPath: string;
  /** Where each subgraph listens; overrides the URLs recorded in the supergraph. */
  subgraphUrls: Record<string, string>;
  composeLive?: boolean;
  production: boolean;
  /** Secret for the claims header subgraphs trust (INTERNAL_SECRET); no default. */
  internalSecret: string;
  /** How user tokens are verified (gateway/config.ts picks the key); no default. */
  auth: AuthConfig;
  /** LOG_LEVEL: the gateway logs at this level unless `logger` is given. */
  logLevel?: LogLevel;
  /** Defaults to a gateway logger at `logLevel`, else the process logger the entry point configured. */
  logger?: Logger;
  /**
   * Timeout per attempt, read retries and circuit breaker for every subgraph call (defaults in
   * datasource.ts); `bySubgraph` overrides per name.
   */
  partnerPolicy?: Partial<PartnerPolicy> & { bySubgraph?: Record<string, Partial<PartnerPolicy>> };
  /** Per-client rate limit; false turns it off (benchmarks, trusted callers). */
  rateLimit?: HardeningOptions["rateLimit"];
}

export interface RunningGateway extends RunningHttp {
  gateway: ApolloGateway;
}

async function probe(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startGateway(opts: GatewayOptions & { host: string; port: number }): Promise<RunningGateway> {
  if (!opts.internalSecret) throw new Error("startGateway needs internalSecret (INTERNAL_SECRET)");
  const logger = opts.logger ?? (opts.logLevel ? createLogger({ service: "gateway", level: opts.logLevel }) : rootLogger());
  const { bySubgraph, ...policy } = opts.partnerPolicy ?? {};
  const sources = new Map<string, PartnerDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl: opts.composeLive
      ? liveSupergraph(opts.subgraphUrls, opts.internalSecret)
      : fileSupergraph(opts.supergraphPath),
    buildService: ({ name, url }) => {
      const source = new PartnerDataSource({
        name,
        url: opts.subgraphUrls[name] ?? url!,
        internalSecret: opts.internalSecret,
        ...policy,
        ...bySubgraph?.[name],
        logger,
      });
      sources.set(name, source);
      return source;
    },
  });
  const verify = await createVerifier(opts.auth);
  const hardening = createHardening({ production: opts.production, logger, rateLimit: opts.rateLimit });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !opts.production,
    includeStacktraceInErrorResponses: !opts.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: hardening.maxBatch > 1,
    plugins: hardening.plugins,
    validationRules: hardening.validationRules,
    formatError: hardening.formatError,
    parseOptions: hardening.parseOptions,
  });
  await apollo.start();
  let loaded = true;
  const running = await startHttp({
    apollo,
    host: opts.host,
    port: opts.port,
    guard: hardening.guard,
    bodyLimit: hardening.bodyLimit,
    maxBatch: hardening.maxBatch,
    authenticate: async (req) => ({
      claims: await verify(req.headers.authorization),
      requestId: SAFE_REQUEST_ID.test((req.headers["x-request-id"] as string | undefined) ?? "")
        ? (req.headers["x-request-id"] as string)
        : randomUUID(),
    }),
    context: async (_req, auth) => auth,
    routes: {
      "/health": async () => ({ status: 200, body: { status: "ok" } }),
      "/ready": async () => {
        const names = Object.keys(opts.subgraphUrls);
        const up = await Promise.all(names.map((n) => probe(opts.subgraphUrls[n]!)));
        const subgraphs = Object.fromEntries(names.map((n, i) => [n, up[i] ? "up" : "down"]));
        const connections = Object.fromEntries([...sources].map(([n, s]) => [n, s.status()]));
        const allUp = up.every(Boolean);
        // Degraded (some partners down) still serves everyone else's data, so it stays in rotation.
        const status = !loaded ? "not-loaded" : allUp ? "ready" : up.some(Boolean) ? "degraded" : "unavailable";
        return {
          status: status === "ready" || status === "degraded" ? 200 : 503,
          body: { status, supergraph: loaded ? "loaded" : "missing", subgraphs, connections },
        };
      },
    },
  });
  return {
    ...running,
    gateway,
    async close() {
      loaded = false;
      await running.close();
      await apollo.stop();
    },
  };
}

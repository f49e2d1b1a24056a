// The Wayfinder gateway: Apollo Gateway over the committed supergraph (so it starts while a partner
// is down), hot-reloading when the file changes, with /health and /ready.
// First, so that @apollo/gateway never starts its usage reporting or cloud-metadata probes.
import { noPhoneHome } from "../platform/no-phone-home.ts";
import { ApolloServer } from "@apollo/server";
import { randomUUID } from "node:crypto";
import { ApolloGateway } from "@apollo/gateway";
import { fileSupergraph, liveSupergraph } from "./supergraph.ts";
import { startHttp, type HttpHandler, type RunningHttp } from "../platform/http.ts";
import { createVerifier, type AuthConfig } from "./auth.ts";
import type { GatewayContext } from "./context.ts";
import { PartnerDataSource, type Clock, type PartnerPolicy } from "./datasource.ts";
import { createHardening, type HardeningOptions } from "./hardening.ts";
import { HttpProblem, orukRoutes } from "./oruk/routes.ts";
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { operationCost } from "./cost.ts";
import { createLogger, rootLogger, type Logger } from "../platform/log.ts";
import type { LogLevel } from "../platform/config.ts";
import { createMetrics, graphqlMetricsPlugin } from "../platform/metrics.ts";
import { requestScope } from "../platform/request.ts";
import { gatewayMetrics } from "./metrics.ts";
import { readinessRoute } from "./readiness.ts";
import { createPublicCache, type PublicCache, type PublicCacheOptions } from "./cache.ts";
import { createRouteReplica, type RouteReplica } from "./route-replica.ts";
import type { RouteReplicaSettings } from "./config.ts";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";

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
  /** A clock per subgraph name for its timeouts and breaker (tests move time by hand); real time otherwise. */
  clocks?: Record<string, Clock>;
  /** Per-client rate limit; false turns it off (benchmarks, trusted callers). */
  rateLimit?: HardeningOptions["rateLimit"];
  /** OPERATOR_TOKEN: bearer token for /ready's detail and /metrics; unset keeps them closed. */
  operatorToken?: string;
  /** GATEWAY_READY_CACHE_MS: how long one round of readiness probes answers /ready (default 2000). */
  readyCacheMs?: number;
  /** GATEWAY_CORS_ORIGINS: browser origins allowed to call /graphql. */
  corsOrigins?: readonly string[];
  /**
   * The web app, served for every path that is not /graphql or a gateway route. Built once the
   * gateway listens, because it calls /graphql over HTTP like any other client.
   */
  web?: (graphqlUrl: string) => Promise<HttpHandler & { close?(): Promise<void> }>;
  /**
   * The public read cache (gateway/cache.ts), on unless false: anonymous reads nothing has changed
   * since are answered here, invalidated by the directory's change feed.
   */
  publicCache?: false | Pick<PublicCacheOptions, "maxEntries" | "maxAgeMs" | "pollWaitMs">;
  /**
   * The route replica (gateway/route-replica.ts): routeChild answered here from the gateway's own
   * copy of the index. Off unless given (gatewayConfig turns it on: GATEWAY_ROUTE_REPLICA).
   */
  routeReplica?: RouteReplicaSettings | false;
}

export interface RunningGateway extends RunningHttp {
  gateway: ApolloGateway;
  /** Null when turned off or when no directory URL is known. */
  publicCache: PublicCache | null;
  /** Null when turned off. */
  routeReplica: RouteReplica | null;
}

export async function startGateway(
  opts: GatewayOptions & { host: string; port: number },
): Promise<RunningGateway> {
  if (!opts.internalSecret) throw new Error("startGateway needs internalSecret (INTERNAL_SECRET)");
  const logger =
    opts.logger ??
    (opts.logLevel ? createLogger({ service: "gateway", level: opts.logLevel }) : rootLogger());
  const { bySubgraph, ...policy } = opts.partnerPolicy ?? {};
  const sources = new Map<string, PartnerDataSource>();
  const metrics = createMetrics("gateway");
  const partnerMetrics = gatewayMetrics(metrics, sources);
  const directoryUrl = opts.subgraphUrls.directory;
  const publicCache =
    opts.publicCache === false || !directoryUrl
      ? null
      : createPublicCache({
          directoryUrl,
          internalSecret: opts.internalSecret,
          logger,
          ...opts.publicCache,
        });
  const routeReplica = opts.routeReplica
    ? createRouteReplica({
        ...opts.routeReplica,
        partnerUrls: Object.fromEntries(PARTNERS.map((p) => [p, opts.subgraphUrls[p]!])) as Record<
          PartnerId,
          string
        >,
        internalSecret: opts.internalSecret,
        logger,
      })
    : null;
  const observe = (partner: string, outcome: string, seconds: number) => {
    // A partner failing changes what an answer shows (errors, stale entries) before the directory
    // may have noticed: cached answers go at once.
    if (outcome !== "ok") publicCache?.clear();
    partnerMetrics.observe(partner, outcome, seconds);
  };
  // Read by ApolloGateway's constructor: set again here, whatever happened to it since startup.
  noPhoneHome();
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
        observe,
        clock: opts.clocks?.[name],
      });
      sources.set(name, source);
      return source;
    },
  });
  // The API schema the cost limit counts against, for the ORUK API's operation sizes.
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = schema;
    routeReplica?.useSupergraph(coreSupergraphSdl);
  });
  const verify = await createVerifier(opts.auth);
  const hardening = createHardening({
    production: opts.production,
    logger,
    rateLimit: opts.rateLimit,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !opts.production,
    includeStacktraceInErrorResponses: !opts.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: hardening.maxBatch > 1,
    // The cache after the hardening plugins: a refused request is refused before any cache lookup.
    plugins: [
      ...hardening.plugins,
      graphqlMetricsPlugin(metrics),
      ...(publicCache ? [publicCache.plugin] : []),
      // routeChild is never cached; the replica answers it after the hardening checks ran.
      ...(routeReplica ? [routeReplica.plugin] : []),
    ],
    validationRules: hardening.validationRules,
    formatError: hardening.formatError,
    parseOptions: hardening.parseOptions,
  });
  await apollo.start();
  let loaded = true;
  let web: (HttpHandler & { close?(): Promise<void> }) | undefined;
  const running = await startHttp({
    apollo,
    host: opts.host,
    port: opts.port,
    guard: hardening.guard,
    bodyLimit: hardening.bodyLimit,
    maxBatch: hardening.maxBatch,
    service: "gateway",
    metrics,
    operatorToken: opts.operatorToken,
    cors: opts.corsOrigins?.length ? { origins: opts.corsOrigins } : undefined,
    authenticate: async (req) => ({
      claims: await verify(req.headers.authorization),
      // platform/http.ts chose it (the caller's, if plain, or a UUID) and put it on the response.
      requestId: requestScope()?.requestId ?? randomUUID(),
    }),
    context: async (_req, auth) => auth,
    fallback: opts.web
      ? (req, res, url) => (web ? web(req, res, url) : Promise.resolve(false))
      : undefined,
    routes: {
      // The ORUK read API runs its GraphQL through this same server, as the caller.
      ...orukRoutes({
        execute: async (req, query, variables) => {
          const claims = await verify(req.headers.authorization).catch((err: unknown) => {
            throw new HttpProblem(401, err instanceof Error ? err.message : "unauthenticated");
          });
          const contextValue = { claims, requestId: requestScope()?.requestId ?? randomUUID() };
          const res = await apollo.executeOperation({ query, variables }, { contextValue });
          return res.body.kind === "single"
            ? res.body.singleResult
            : { errors: [{ message: "unexpected incremental result" }] };
        },
        maxCost: hardening.limits.maxCost,
        cost: (query, variables) => {
          const doc = parse(query);
          const op = doc.definitions.find(
            (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
          );
          if (!apiSchema || !op) return hardening.limits.maxCost;
          return operationCost(apiSchema, op, {}, variables);
        },
        isProfessional: async (req) =>
          (await verify(req.headers.authorization).catch(() => null))?.scopes.includes(
            "professional",
          ) ?? false,
      }),
      "/health": async () => ({ status: 200, body: { status: "ok" } }),
      "/ready": readinessRoute({
        names: [...new Set([...Object.keys(opts.subgraphUrls), ...sources.keys()])],
        sources,
        loaded: () => loaded,
        cacheMs: opts.readyCacheMs ?? 2000,
        operatorToken: opts.operatorToken,
        onRound: partnerMetrics.readiness,
        operatorDetail: () => ({ routeReplica: routeReplica?.stats() ?? "off" }),
      }),
    },
  });
  if (opts.web) web = await opts.web(running.url);
  // Only now: had anything above failed, no feed reads would be left running.
  routeReplica?.start();
  return {
    ...running,
    gateway,
    publicCache,
    routeReplica,
    async close() {
      loaded = false;
      await publicCache?.close();
      await running.close();
      // After the server: requests in flight still plan over an open copy.
      await routeReplica?.close();
      await apollo.stop();
      await hardening.close();
      await web?.close?.();
    },
  };
}

// Serves any Wayfinder subgraph schema over HTTP: Apollo Server behind the kit's node:http front,
// accepting only requests that carry gateway-signed claims addressed to this subgraph and signed
// over this request's body, and only operations within the subgraph's own limits (./limits.ts).
// Each request runs under the gateway's request id (x-request-id) and trace (traceparent), so its
// log lines and spans join the gateway's.
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import { startHttp, type Route, type RunningHttp } from "../../platform/http.ts";
import { CLAIMS_HEADER, verifyClaims, type Claims } from "../../platform/claims.ts";
import { log } from "../../platform/log.ts";
import { createMetrics, graphqlMetricsPlugin, type Metrics } from "../../platform/metrics.ts";

/** One line per operation; requestId (and traceId) come from the request's scope. */
const requestLog: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    const started = performance.now();
    return {
      async willSendResponse(ctx) {
        const body = ctx.response.body;
        const errors = body?.kind === "single" ? (body.singleResult.errors ?? []) : [];
        log("info", "subgraph_request", {
          operationName:
            (ctx.operationName ?? ctx.request.operationName ?? null)?.slice(0, 100) ?? null,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          errorCount: errors.length,
        });
      },
    };
  },
};
import { checkRepresentations, subgraphLimitRules } from "./limits.ts";

export async function serveSubgraph<C extends BaseContext>(opts: {
  /** This subgraph's name (a partner id or "directory"): the only audience it accepts. */
  name: string;
  schema: GraphQLSchema;
  /** The subgraph's name in metrics and spans ("council", "directory" …). */
  service: string;
  host: string;
  port: number;
  secret: string;
  routes: Record<string, Route>;
  context: (claims: Claims) => C;
  /** OPERATOR_TOKEN: opens /metrics and /ready's detail. */
  operatorToken?: string;
  /** Adds the subgraph's own series (the directory's sync lag and index size). */
  registerMetrics?: (metrics: Metrics) => void;
}): Promise<RunningHttp> {
  const metrics = createMetrics(opts.service);
  opts.registerMetrics?.(metrics);
  const apollo = new ApolloServer<C>({
    schema: opts.schema,
    introspection: true,
    // Traces are for Apollo Studio, which Wayfinder does not report to; they cost time per request.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      // Cache hints are computed per resolved field (a hook around every field of a response, most
      // of a routeChild plan's execution time in the directory), yet nothing reads them: subgraph
      // answers are never HTTP-cached, and the gateway's public cache (gateway/cache.ts) is
      // invalidated by the change feed, not by hints. Without them the gateway's answers are still
      // "no-store" (its own cache-control plugin treats a hintless subgraph answer as uncacheable).
      ApolloServerPluginCacheControlDisabled(),
      graphqlMetricsPlugin(metrics),
      requestLog,
      {
        async requestDidStart() {
          return {
            async didResolveOperation(ctx) {
              const refused = checkRepresentations(ctx.request.variables);
              if (refused) throw refused;
            },
          };
        },
      },
    ],
    validationRules: subgraphLimitRules(),
  });
  await apollo.start();
  const running = await startHttp({
    apollo,
    host: opts.host,
    port: opts.port,
    routes: opts.routes,
    service: opts.service,
    metrics,
    operatorToken: opts.operatorToken,
    // Only the gateway reaches a subgraph (its claims are required), so its trace is continued.
    trustTraceparent: true,
    authenticate: (req, body) =>
      verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, opts.secret, {
        audience: opts.name,
        body,
      }),
    context: async (_req, claims) => opts.context(claims),
  });
  return {
    ...running,
    async close() {
      await running.close();
      await apollo.stop();
    },
  };
}

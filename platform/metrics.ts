// Prometheus metrics (prom-client) for every Wayfinder process. Each server gets its own registry,
// so an in-process stack (npm start, the tests) still shows each port's own numbers on its /metrics.
//
// Label values that come from clients (operation names, error codes) are bounded: a client that
// invents a new operation name per request must not grow the registry without limit.
import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext } from "@apollo/server";
import type { GraphQLFormattedError } from "graphql";
import client from "prom-client";

export interface Metrics {
  registry: client.Registry;
  /** wayfinder_http_requests_total{route,status}: every HTTP answer, refusals before GraphQL included. */
  httpRequests: client.Counter<"route" | "status">;
  /** wayfinder_graphql_requests_total{operation,outcome}: outcome is "ok" or "error". */
  graphqlRequests: client.Counter<"operation" | "outcome">;
  /** wayfinder_graphql_request_duration_seconds{operation}. */
  graphqlDuration: client.Histogram<"operation">;
  /** wayfinder_graphql_errors_total{code}: errors sent to clients, by extensions.code. */
  graphqlErrors: client.Counter<"code">;
  /** Turns a client-supplied value into a bounded label value. */
  label(kind: "operation" | "code", value: string | null | undefined): string;
}

/** Most distinct values one label takes from clients; later newcomers are counted as "other". */
const MAX_DISTINCT = 100;
const PLAIN = { operation: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, code: /^[A-Z][A-Z0-9_]{0,47}$/ };

/** Latency buckets from 5 ms to 10 s (the partner timeout is 3 s by default). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(service: string): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry, prefix: "wayfinder_process_" });
  const seen = { operation: new Set<string>(), code: new Set<string>() };
  return {
    registry,
    httpRequests: new client.Counter({
      name: "wayfinder_http_requests_total",
      help: "HTTP requests answered, by route and status code",
      labelNames: ["route", "status"],
      registers: [registry],
    }),
    graphqlRequests: new client.Counter({
      name: "wayfinder_graphql_requests_total",
      help: "GraphQL operations executed, by operation name and outcome (ok, error)",
      labelNames: ["operation", "outcome"],
      registers: [registry],
    }),
    graphqlDuration: new client.Histogram({
      name: "wayfinder_graphql_request_duration_seconds",
      help: "Time from receiving a GraphQL operation to sending its answer",
      labelNames: ["operation"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    graphqlErrors: new client.Counter({
      name: "wayfinder_graphql_errors_total",
      help: "Errors sent to clients, by extensions.code",
      labelNames: ["code"],
      registers: [registry],
    }),
    label(kind, value) {
      if (!value) return kind === "operation" ? "anonymous" : "INTERNAL_SERVER_ERROR";
      if (!PLAIN[kind].test(value)) return "other";
      const set = seen[kind];
      if (set.has(value)) return value;
      if (set.size >= MAX_DISTINCT) return "other";
      set.add(value);
      return value;
    },
  };
}

function responseErrors(ctx: GraphQLRequestContext<BaseContext>): readonly GraphQLFormattedError[] {
  const body = ctx.response.body;
  if (!body) return [];
  return (body.kind === "single" ? body.singleResult.errors : body.initialResult.errors) ?? [];
}

/** Counts each operation, its latency and the codes of the errors it answered with. */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse(ctx) {
          const operation = metrics.label(
            "operation",
            ctx.operationName ?? ctx.request.operationName,
          );
          const errors = responseErrors(ctx);
          stop({ operation });
          metrics.graphqlRequests.inc({ operation, outcome: errors.length ? "error" : "ok" });
          for (const e of errors) {
            const code = e.extensions?.code;
            metrics.graphqlErrors.inc({
              code: metrics.label("code", typeof code === "string" ? code : null),
            });
          }
        },
      };
    },
  };
}

export const METRICS_CONTENT_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

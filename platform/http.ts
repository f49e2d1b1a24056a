// A small node:http front for Apollo Server (subgraphs and gateway): GraphQL on /graphql, plus
// plain routes (/health, /ready, /changes). Apollo Server 5 ships no HTTP framework integration;
// executeHTTPGraphQLRequest is its documented integration point.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { CLAIMS_HEADER, verifyClaims } from "./claims.ts";
import { METRICS_CONTENT_TYPE, type Metrics } from "./metrics.ts";
import { OPERATOR_REFUSAL, isOperator } from "./operator.ts";
import { requestIdFrom, runInRequestScope, REQUEST_ID_HEADER } from "./request.ts";
import { SpanKind, extractContext, inSpan } from "./tracing.ts";
import { ROOT_CONTEXT } from "@opentelemetry/api";

/** A plain route's answer: `body` is sent as JSON, or `text` as it is (with its content-type). */
export type RouteAnswer = {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
};

export type Route = (req: http.IncomingMessage, url: URL) => Promise<RouteAnswer | null>;

export interface CorsOptions {
  /** Origins allowed to call the GraphQL endpoint from a browser ("*" = any). */
  origins: readonly string[];
}

/**
 * Guards a plain route: only callers whose verified claims carry `scope`, in a token addressed to
 * `audience` (this subgraph) and signed for an empty body, get through. Routes read no body.
 */
export function requireScope(route: Route, scope: string, secret: string, audience: string): Route {
  return async (req, url) => {
    try {
      const claims = await verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, secret, {
        audience,
        body: "",
      });
      if (!claims.scopes.includes(scope))
        return { status: 403, body: { error: `needs scope ${scope}` } };
    } catch (err) {
      return {
        status: 401,
        body: { error: err instanceof Error ? err.message : "unauthenticated" },
      };
    }
    return route(req, url);
  };
}

/** A raw handler (the web app); resolves false when it does not serve the path. */
export type HttpHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => Promise<boolean>;

export interface HttpOptions<C extends BaseContext, A = undefined> {
  apollo: ApolloServer<C>;
  /**
   * Runs before GraphQL, once the body is read (subgraphs check that their claims token was signed
   * for this exact body); a throw answers 401 UNAUTHENTICATED with its message. Its result is
   * handed to `context`.
   */
  authenticate?: (req: http.IncomingMessage, body: string) => Promise<A>;
  context: (req: http.IncomingMessage, auth: A) => Promise<C>;
  routes?: Record<string, Route>;
  host: string;
  port: number;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Runs first on every request except /health and /ready; a non-null answer is sent instead. */
  guard?: Route;
  /** Most operations accepted in one batched (JSON array) request; 1 = no batching. */
  maxBatch?: number;
  /** Names the process in spans ("gateway", "council" …). */
  service?: string;
  /** Counts every answer; served at /metrics to operators. */
  metrics?: Metrics;
  /** OPERATOR_TOKEN: opens /metrics (and routes that check isOperator); unset keeps them closed. */
  operatorToken?: string;
  /** Continue a caller's `traceparent` (subgraphs, called by the gateway); the public gateway starts its own. */
  trustTraceparent?: boolean;
  /** Cross-origin browser access to the GraphQL endpoint (GATEWAY_CORS_ORIGINS). */
  cors?: CorsOptions;
  /** Serves every path that is neither /graphql nor a route, "/" included (the web app). */
  fallback?: HttpHandler;
}

export interface RunningHttp {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8, refusing more than `limit` bytes with BodyTooLargeError. */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

function prefixRoute(routes: Record<string, Route>, pathname: string): Route | undefined {
  for (const [key, route] of Object.entries(routes))
    if (key.endsWith("/*") && pathname.startsWith(key.slice(0, -1))) return route;
  return undefined;
}

function sendAnswer(res: http.ServerResponse, out: RouteAnswer) {
  if (out.text === undefined) return sendJson(res, out.status, out.body, out.headers);
  res.writeHead(out.status, { "content-type": "text/plain; charset=utf-8", ...out.headers });
  res.end(out.text);
}

const GRAPHQL_PATHS = new Set(["/graphql", "/"]);
/** Request headers a browser client may send (Apollo's CSRF header among them). */
const CORS_ALLOW_HEADERS =
  "authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id, traceparent, tracestate";

/**
 * CORS for the GraphQL endpoint. Answers a preflight itself (true), before the rate limit and
 * before Apollo's CSRF check, which would refuse the OPTIONS request; otherwise only adds the
 * allow headers for a listed origin. A disallowed origin's preflight gets 403 and no allow headers,
 * so the browser never sends the real request.
 */
function applyCors(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  cors: CorsOptions,
): boolean {
  const origin = req.headers.origin;
  res.setHeader("vary", "Origin");
  const allowed = !!origin && (cors.origins.includes("*") || cors.origins.includes(origin));
  const preflight =
    req.method === "OPTIONS" && !!origin && !!req.headers["access-control-request-method"];
  if (allowed) {
    res.setHeader("access-control-allow-origin", cors.origins.includes("*") ? "*" : origin!);
    res.setHeader("access-control-expose-headers", "x-request-id, retry-after");
  }
  if (!preflight) return false;
  if (!allowed) {
    sendJson(res, 403, { error: "origin not allowed" });
    return true;
  }
  res.writeHead(204, {
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": CORS_ALLOW_HEADERS,
    "access-control-max-age": "600",
  });
  res.end();
  return true;
}

export async function startHttp<C extends BaseContext, A = undefined>(
  opts: HttpOptions<C, A>,
): Promise<RunningHttp> {
  const limit = opts.bodyLimit ?? 1_000_000;
  const routes: Record<string, Route> = { ...opts.routes };
  if (opts.metrics) {
    const { registry } = opts.metrics;
    routes["/metrics"] = async (req) =>
      isOperator(req, opts.operatorToken)
        ? {
            status: 200,
            text: await registry.metrics(),
            headers: { "content-type": METRICS_CONTENT_TYPE },
          }
        : OPERATOR_REFUSAL;
  }
  const service = opts.service ?? "wayfinder";
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    try {
      if (opts.cors && GRAPHQL_PATHS.has(url.pathname) && applyCors(req, res, opts.cors)) return;
      // /health stays free: orchestrators poll it and it does no work.
      if (opts.guard && url.pathname !== "/health") {
        const blocked = await opts.guard(req, url);
        if (blocked) return sendAnswer(res, blocked);
      }
      // A key ending "/*" serves every path under it (the gateway's /oruk/ API).
      const route = routes[url.pathname] ?? prefixRoute(routes, url.pathname);
      if (route) {
        const out = await route(req, url);
        if (out) return sendAnswer(res, out);
      }
      if (opts.fallback && url.pathname !== "/graphql" && (await opts.fallback(req, res, url)))
        return;
      if (url.pathname !== "/graphql" && url.pathname !== "/") {
        return sendJson(res, 404, { error: "not found" });
      }
      const raw = req.method === "POST" ? await readBody(req, limit) : "";
      let auth: A;
      try {
        auth = opts.authenticate ? await opts.authenticate(req, raw) : (undefined as A);
      } catch (err) {
        return sendJson(res, 401, {
          errors: [
            {
              message: err instanceof Error ? err.message : "unauthenticated",
              extensions: { code: "UNAUTHENTICATED" },
            },
          ],
        });
      }
      let body: unknown = undefined;
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      }
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          return sendJson(res, 400, {
            errors: [
              { message: "Request body is not valid JSON", extensions: { code: "BAD_REQUEST" } },
            ],
          });
        }
        const maxBatch = opts.maxBatch ?? 1;
        if (Array.isArray(body) && body.length > maxBatch) {
          return sendJson(res, 400, {
            errors: [
              {
                message: `at most ${maxBatch} operation${maxBatch === 1 ? "" : "s"} per request`,
                extensions: { code: "BATCH_LIMIT_EXCEEDED" },
              },
            ],
          });
        }
      }
      const result = await opts.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
        context: () => opts.context(req, auth),
      });
      for (const [k, v] of result.headers) res.setHeader(k, v);
      res.statusCode = result.status ?? 200;
      if (result.body.kind === "complete") {
        res.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return sendJson(res, 413, {
          errors: [{ message: err.message, extensions: { code: "PAYLOAD_TOO_LARGE" } }],
        });
      }
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [
            { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } },
          ],
        });
      else res.end();
    }
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const requestId = requestIdFrom(req.headers);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const route = routes[url.pathname] || GRAPHQL_PATHS.has(url.pathname) ? url.pathname : "other";
    if (opts.metrics) {
      const counter = opts.metrics.httpRequests;
      res.once("finish", () => counter.inc({ route, status: String(res.statusCode) }));
    }
    // Everything this request does, logs and subgraph calls included, runs in its scope and span.
    void runInRequestScope({ requestId }, () =>
      inSpan(
        `${service} ${req.method ?? "GET"} ${route}`,
        {
          kind: SpanKind.SERVER,
          parent: opts.trustTraceparent ? extractContext(req.headers) : ROOT_CONTEXT,
          attributes: {
            "http.request.method": req.method ?? "GET",
            "url.path": route,
            "wayfinder.service": service,
          },
        },
        async (span) => {
          await handle(req, res, url);
          span.setAttribute("http.response.status_code", res.statusCode);
        },
      ),
    ).catch(() => undefined);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host}:${port}/graphql`,
    port,
    server,
    async close() {
      // Graceful: stop taking connections, let in-flight requests finish, drop idle keep-alives.
      await new Promise<void>((resolve) => {
        // In-flight requests get a short grace period; after it, remaining sockets are cut.
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

// A small node:http front for Apollo Server (subgraphs and gateway): GraphQL on /graphql, plus
// plain routes (/health, /ready, /changes). Apollo Server 5 ships no HTTP framework integration;
// executeHTTPGraphQLRequest is its documented integration point.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { CLAIMS_HEADER, verifyClaims } from "./claims.ts";

export type Route = (
  req: http.IncomingMessage,
  url: URL,
) => Promise<{ status: number; body: unknown; headers?: Record<string, string> } | null>;

/** Guards a plain route: only callers whose verified claims carry `scope` get through. */
export function requireScope(route: Route, scope: string, secret: string): Route {
  return async (req, url) => {
    try {
      const claims = await verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, secret);
      if (!claims.scopes.includes(scope)) return { status: 403, body: { error: `needs scope ${scope}` } };
    } catch (err) {
      return { status: 401, body: { error: err instanceof Error ? err.message : "unauthenticated" } };
    }
    return route(req, url);
  };
}

export interface HttpOptions<C extends BaseContext, A = undefined> {
  apollo: ApolloServer<C>;
  /**
   * Runs before GraphQL; a throw answers 401 UNAUTHENTICATED with its message. Its result is
   * handed to `context`.
   */
  authenticate?: (req: http.IncomingMessage) => Promise<A>;
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
}

export interface RunningHttp {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

export class BodyTooLargeError extends Error {}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(text);
}

export async function startHttp<C extends BaseContext, A = undefined>(opts: HttpOptions<C, A>): Promise<RunningHttp> {
  const limit = opts.bodyLimit ?? 1_000_000;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (opts.guard && url.pathname !== "/health" && url.pathname !== "/ready") {
        const blocked = await opts.guard(req, url);
        if (blocked) return sendJson(res, blocked.status, blocked.body, blocked.headers);
      }
      const route = opts.routes?.[url.pathname];
      if (route) {
        const out = await route(req, url);
        if (out) return sendJson(res, out.status, out.body, out.headers);
      }
      if (url.pathname !== "/graphql" && url.pathname !== "/") {
        return sendJson(res, 404, { error: "not found" });
      }
      let auth: A;
      try {
        auth = opts.authenticate ? await opts.authenticate(req) : (undefined as A);
      } catch (err) {
        return sendJson(res, 401, { errors: [{ message: err instanceof Error ? err.message : "unauthenticated", extensions: { code: "UNAUTHENTICATED" } }] });
      }
      const raw = req.method === "POST" ? await readBody(req, limit) : "";
      let body: unknown = undefined;
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
      }
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          return sendJson(res, 400, { errors: [{ message: "Request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] });
        }
        const maxBatch = opts.maxBatch ?? 1;
        if (Array.isArray(body) && body.length > maxBatch) {
          return sendJson(res, 400, {
            errors: [{ message: `at most ${maxBatch} operation${maxBatch === 1 ? "" : "s"} per request`, extensions: { code: "BATCH_LIMIT_EXCEEDED" } }],
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
        return sendJson(res, 413, { errors: [{ message: err.message, extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
      }
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
      else res.end();
    }
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

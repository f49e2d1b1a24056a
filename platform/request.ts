// The request a line of work belongs to. platform/http.ts opens a scope per HTTP request (its id,
// taken from a plain x-request-id or made up), and everything that runs for that request — resolvers,
// loaders, log lines, subgraph calls — finds it here without threading it through every call.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const REQUEST_ID_HEADER = "x-request-id";

/** A caller's x-request-id is kept only if it is plain enough to put in logs and headers. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The caller's request id when it is safe to keep, else a new one. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  return typeof given === "string" && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request being served, if any. */
export function requestScope(): RequestScope | undefined {
  return storage.getStore();
}

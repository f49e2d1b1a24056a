// Imports into a running partner go through that partner's own process. An embedded (PGlite)
// database has exactly one writer, the subgraph serving it, so `npm run import` posts the file to
// the subgraph's admin import endpoint (POST /admin/import, service token with scope
// service:import) when the database's lock names a live server; the subgraph validates and imports
// it in one transaction, and the change is in search and routing by the directory's next sync.
// With no server running, the CLI opens the database itself; with PostgreSQL, many writers are safe
// and the CLI writes directly.
import type { PartnerId } from "../../schema/vocabulary.ts";
import { CLAIMS_HEADER, signClaims, verifyClaims } from "../../platform/claims.ts";
import { BodyTooLargeError, readBody, type Route } from "../../platform/http.ts";
import type { Db } from "./db/db.ts";
import type { LockInfo } from "./db/lock.ts";
import {
  HsdsFileError,
  ReplaceRefusedError,
  importHsds,
  type ImportOptions,
  type ImportResult,
} from "./hsds/import.ts";
import { HsdsValidationError, validateHsds } from "./hsds/validate.ts";

export const IMPORT_SCOPE = "service:import";
export const IMPORT_PATH = "/admin/import";
/** Largest import accepted over HTTP (100,000 services is about 150 MB). */
const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

type WireOptions = Pick<ImportOptions, "replace" | "dryRun" | "force">;

// The report's Maps travel as entry lists.
const toWire = (r: ImportResult) => ({
  ...r,
  report: {
    ...r.report,
    unmappedFields: [...r.report.unmappedFields],
    notStored: [...r.report.notStored],
  },
});
const fromWire = (r: ReturnType<typeof toWire>): ImportResult => ({
  ...r,
  report: {
    ...r.report,
    unmappedFields: new Map(r.report.unmappedFields),
    notStored: new Map(r.report.notStored),
  },
});

/** POST /admin/import with {"input": <HSDS/ORUK records as read>, "options": {replace, dryRun, force}}. */
export function adminImportRoute(db: Db, partner: PartnerId, secret: string): Route {
  return async (req) => {
    if (req.method !== "POST")
      return { status: 405, body: { error: "POST an import" }, headers: { allow: "POST" } };
    let text: string;
    try {
      text = await readBody(req, MAX_IMPORT_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return { status: 413, body: { error: `imports are limited to ${MAX_IMPORT_BYTES} bytes` } };
      throw err;
    }
    // The service token is bound to this subgraph and to the exact body, so it is checked here,
    // once the body has been read.
    try {
      const claims = await verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, secret, {
        audience: partner,
        body: text,
      });
      if (!claims.scopes.includes(IMPORT_SCOPE))
        return { status: 403, body: { error: `needs scope ${IMPORT_SCOPE}` } };
    } catch (err) {
      return {
        status: 401,
        body: { error: err instanceof Error ? err.message : "unauthenticated" },
      };
    }
    let body: { input?: unknown; options?: WireOptions };
    try {
      body = JSON.parse(text);
    } catch {
      return { status: 400, body: { error: "body is not JSON" } };
    }
    const opts = body.options ?? {};
    try {
      const bundle = validateHsds(body.input);
      const result = await importHsds(db, bundle, {
        replace: !!opts.replace,
        dryRun: !!opts.dryRun,
        force: !!opts.force,
      });
      return { status: 200, body: { partner, result: toWire(result) } };
    } catch (err) {
      if (
        err instanceof HsdsValidationError ||
        err instanceof HsdsFileError ||
        err instanceof ReplaceRefusedError
      ) {
        return { status: 422, body: { error: err.message } };
      }
      throw err;
    }
  };
}

/** The running subgraph refused or failed the import (nothing was written). */
export class RemoteImportError extends Error {
  override name = "RemoteImportError";
}

/** Sends records (already read and checked by the CLI) to the subgraph that holds the database. */
export async function importThroughPartner(
  owner: LockInfo & { url: string },
  partner: PartnerId,
  input: unknown,
  options: WireOptions,
  secret: string,
): Promise<ImportResult> {
  const endpoint = new URL(IMPORT_PATH, owner.url);
  const payload = JSON.stringify({ input, options });
  const token = await signClaims(
    { sub: "import-cli", role: "service", partner: null, scopes: [IMPORT_SCOPE] },
    secret,
    {
      audience: partner,
      body: payload,
    },
  );
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: { [CLAIMS_HEADER]: token, "content-type": "application/json" },
      body: payload,
    });
  } catch (err) {
    throw new RemoteImportError(
      `the ${partner} subgraph holds the database (process ${owner.pid}) but cannot be reached at ${endpoint.origin}: ${(err as Error).message}. Try again once it answers, or stop it and import directly.`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    result?: ReturnType<typeof toWire>;
    error?: string;
  };
  if (!res.ok || !body.result) {
    throw new RemoteImportError(
      `the ${partner} subgraph at ${endpoint.origin} refused the import (${res.status}): ${body.error ?? "no reason given"}`,
    );
  }
  return fromWire(body.result);
}

// Whole-stack test helper (Apollo's startSubgraphsAndGateway habit): real partner databases loaded
// from the fixed dataset, real subgraphs and gateway on port 0.
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { openDb, type Db } from "../../subgraphs/kit/db/db.ts";
import { importHsds } from "../../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../../subgraphs/kit/hsds/validate.ts";
import { startStack, type Stack, type StackOptions } from "../../scripts/stack.ts";
import { DATASET } from "../fixtures/dataset.ts";
import { dropSchemaOf, freshSchemaUrl } from "./postgres.ts";

export type DbKind = "pglite" | "postgres";

export async function openFixtureDbs(kind: DbKind): Promise<{ dbs: Record<PartnerId, Db>; close(): Promise<void> }> {
  const urls = {} as Record<PartnerId, string>;
  const dbs = Object.fromEntries(
    await Promise.all(
      PARTNERS.map(async (p) => {
        urls[p] = freshSchemaUrl(`e2e_${p}`);
        const db = await openDb(kind === "postgres" ? { url: urls[p] } : {});
        await importHsds(db, validateHsds(DATASET[p]));
        return [p, db] as const;
      }),
    ),
  ) as Record<PartnerId, Db>;
  return {
    dbs,
    async close() {
      await Promise.all(PARTNERS.map((p) => dbs[p].close()));
      if (kind === "postgres") await Promise.all(PARTNERS.map((p) => dropSchemaOf(urls[p])));
    },
  };
}

export async function startTestStack(
  kind: DbKind,
  opts: Omit<StackOptions, "dbs"> = {},
): Promise<Stack & { dbs: Record<PartnerId, Db> }> {
  const fixture = await openFixtureDbs(kind);
  // Test files fire hundreds of requests from one client; the rate limit has its own tests.
  const stack = await startStack({ rateLimit: false, ...opts, dbs: fixture.dbs, syncIntervalMs: opts.syncIntervalMs ?? 300 });
  return {
    ...stack,
    dbs: fixture.dbs,
    async close() {
      await stack.close();
      await fixture.close();
    },
  };
}

export interface GqlResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: (string | number)[] }[];
}

export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult<T>;
}

/** Polls until check() passes or the timeout elapses (sync runs every few hundred ms in tests). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

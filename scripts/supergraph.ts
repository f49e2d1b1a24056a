// Emits every subgraph's SDL and composes the supergraph with @apollo/composition (no rover needed).
import { composeServices } from "@apollo/composition";
import { printSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { PARTNERS } from "../schema/vocabulary.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import { buildDirectorySchema } from "../subgraphs/directory/server.ts";
import { subgraphUrl, type SubgraphName } from "../platform/config.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";

/** Building a schema never touches the database; this stands in for one and says so if used. */
const noDb: Db = {
  kind: "pglite",
  query: () => Promise.reject(new Error("schema emission does not use a database")),
  transaction: () => Promise.reject(new Error("schema emission does not use a database")),
  close: async () => undefined,
};

export class CompositionError extends Error {}

export async function emitSubgraphSdl(): Promise<Record<SubgraphName, string>> {
  const out = {} as Record<SubgraphName, string>;
  for (const p of PARTNERS)
    out[p] = printSubgraphSchema((await PARTNER_MODULES[p].createServer(noDb)).schema);
  out.directory = printSubgraphSchema(await buildDirectorySchema());
  return out;
}

export async function composeSupergraph(): Promise<{
  subgraphs: Record<SubgraphName, string>;
  supergraph: string;
}> {
  const subgraphs = await emitSubgraphSdl();
  return { subgraphs, supergraph: composeSdl(subgraphs) };
}

/** Composes subgraph SDL; throws CompositionError listing every error with its code. */
export function composeSdl(subgraphs: Record<string, string>): string {
  // URLs are the local defaults (the supergraph records them); deployments override per subgraph.
  const env = {};
  const result = composeServices(
    Object.entries(subgraphs).map(([name, sdl]) => ({
      name,
      url: subgraphUrl(name as SubgraphName, env),
      typeDefs: parse(sdl),
    })),
  );
  if (result.errors) {
    throw new CompositionError(
      `Composition failed with ${result.errors.length} error(s):\n` +
        result.errors
          .map((e) => `  - [${(e.extensions?.code as string) ?? "ERROR"}] ${e.message}`)
          .join("\n"),
    );
  }
  return result.supergraphSdl;
}

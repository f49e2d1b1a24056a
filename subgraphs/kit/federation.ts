// The one federation helper every subgraph uses: type-graphql schema → Apollo subgraph schema,
// linked to one federation version.
import "reflect-metadata";
import { buildSchema, createResolversMap, type BuildSchemaOptions } from "type-graphql";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { enforceScopes } from "./scopes.ts";

export const FEDERATION_VERSION = "https://specs.apollo.dev/federation/v2.5";
const FEDERATION_IMPORTS = [
  "@key",
  "@shareable",
  "@external",
  "@requires",
  "@provides",
  "@inaccessible",
  "@authenticated",
  "@requiresScopes",
];

export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, "skipCheck">,
  referenceResolvers: Record<string, object> = {},
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ ...options, skipCheck: true });
  const typeDefs = parse(
    `extend schema @link(url: "${FEDERATION_VERSION}", import: ${JSON.stringify(FEDERATION_IMPORTS)})\n` +
      printSchemaWithDirectives(schema),
  );
  const resolvers = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, extra] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(extra as object) } as never;
  }
  const subgraph = buildSubgraphSchema([{ typeDefs, resolvers }]);
  enforceScopes(subgraph);
  return subgraph;
}

// Shared by the security tests: the gateway's public (API) schema, so a test can compute what the
// gateway computes, and the nesting query of attack 1.
import { readFileSync } from "node:fs";
import { buildASTSchema, type GraphQLSchema } from "graphql";
import { Supergraph } from "@apollo/federation-internals";
import { forGateway } from "../../gateway/supergraph.ts";

/** Rebuilt with this module's graphql (federation-internals loads its own copy). */
export function apiSchema(path = "schema/supergraph.graphql"): GraphQLSchema {
  return buildASTSchema(
    Supergraph.build(forGateway(readFileSync(path, "utf8")))
      .apiSchema()
      .toAST(),
  );
}

/** `charityOrganizations { services { organization { services … } } }`, `levels` services deep. */
export function nesting(levels: number): string {
  let inner = "services { id name }";
  for (let i = 1; i < levels; i++)
    inner = `services { id organization { ... on CharityOrganization { id ${inner} } } }`;
  return /* GraphQL */ `{ charityOrganizations { id ${inner} } }`;
}

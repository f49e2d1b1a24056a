// Field-level access, enforced in every subgraph: fields declared with @authenticated or
// @requiresScopes in the schema (so the rule is visible in the supergraph) check the verified
// claims the gateway sent before resolving.
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLSchema,
  type ValueNode,
} from "graphql";
import type { Claims } from "../../platform/claims.ts";

function scopesArg(value: ValueNode | undefined): string[][] {
  if (!value || value.kind !== "ListValue") return [];
  return value.values.map((inner) =>
    inner.kind === "ListValue"
      ? inner.values.map((v) => (v.kind === "StringValue" ? v.value : ""))
      : [],
  );
}

/** Wraps, in place, every field that declares an access rule. Returns the rules found (for tests). */
export function enforceScopes(schema: GraphQLSchema): Map<string, string[][]> {
  const rules = new Map<string, string[][]>();
  for (const type of Object.values(schema.getTypeMap())) {
    // Structural check, not isObjectType: @apollo/subgraph builds the schema with graphql's CommonJS
    // build while this module may load the ES build, and instanceof fails across the two.
    const kind = type.astNode?.kind;
    if (type.name.startsWith("__") || kind !== "ObjectTypeDefinition") continue;
    for (const field of Object.values((type as GraphQLObjectType).getFields())) {
      const directives = field.astNode?.directives ?? [];
      let anyOf: string[][] | null = null;
      for (const d of directives) {
        if (d.name.value === "authenticated") anyOf = [[]];
        if (d.name.value === "requiresScopes")
          anyOf = scopesArg(d.arguments?.find((a) => a.name.value === "scopes")?.value);
      }
      if (!anyOf) continue;
      const required = anyOf;
      rules.set(`${type.name}.${field.name}`, required);
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, ctx: { claims?: Claims }, info) => {
        const claims = ctx.claims;
        const authenticated = !!claims && claims.role !== "public";
        // requiresScopes is OR over groups, AND within a group; [[]] (authenticated) needs a user.
        const ok =
          authenticated && required.some((group) => group.every((s) => claims.scopes.includes(s)));
        if (!ok) {
          throw new GraphQLError(
            authenticated
              ? `${type.name}.${field.name} needs one of: ${required.map((g) => g.join(" + ")).join(" or ")}`
              : `${type.name}.${field.name} is for signed-in professionals`,
            { extensions: { code: authenticated ? "FORBIDDEN" : "UNAUTHENTICATED" } },
          );
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
  return rules;
}

// Operation limits and error masking for the public gateway.
import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLFormattedError, ValidationRule } from "graphql";
import type { Route } from "../subgraphs/kit/http.ts";
import type { GatewayContext } from "./context.ts";
import type { Logger } from "./logger.ts";

export interface Hardening {
  plugins: ApolloServerPlugin<GatewayContext>[];
  validationRules: ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Runs before GraphQL on every request (rate limits); a non-null answer is sent instead. */
  guard: Route;
  bodyLimit: number;
  maxBatch: number;
}

export function createHardening(opts: { production: boolean; logger: Logger }): Hardening {
  return {
    plugins: [],
    validationRules: [],
    formatError: (formatted) => formatted,
    guard: async () => null,
    bodyLimit: 1_000_000,
    maxBatch: 1,
  };
}

// Gateway configuration, read from the environment once.
import path from "node:path";
import { SUBGRAPHS, commonConfig, subgraphUrl, type SubgraphName } from "../subgraphs/kit/config.ts";
import { authConfig, type AuthConfig } from "./auth.ts";

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Compose live from the running subgraphs instead of the supergraph file (development only). */
  composeLive: boolean;
  subgraphUrls: Record<SubgraphName, string>;
  production: boolean;
  internalSecret: string;
  auth: AuthConfig;
}

export function gatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const port = Number(env.GATEWAY_PORT || 4000);
  if (!Number.isInteger(port) || port < 0) throw new Error(`GATEWAY_PORT must be a port number, got "${env.GATEWAY_PORT}"`);
  return {
    host: env.GATEWAY_HOST || "127.0.0.1",
    port,
    supergraphPath: path.resolve(env.SUPERGRAPH_PATH || "schema/supergraph.graphql"),
    composeLive: env.GATEWAY_COMPOSE === "live",
    subgraphUrls: Object.fromEntries(SUBGRAPHS.map((s) => [s, subgraphUrl(s, env)])) as Record<SubgraphName, string>,
    production: env.NODE_ENV === "production",
    internalSecret: commonConfig(env).internalSecret,
    auth: authConfig(env),
  };
}

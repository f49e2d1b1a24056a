import type { Claims } from "../subgraphs/kit/internal-auth.ts";

export interface GatewayContext {
  claims: Claims;
  /** Correlates a response (and a masked error) with its log lines. */
  requestId: string;
}

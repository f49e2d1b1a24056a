import type { Claims } from "../platform/claims.ts";

export interface GatewayContext {
  claims: Claims;
  /** Correlates a response (and a masked error) with its log lines, here and in the subgraphs. */
  requestId: string;
}

export { SAFE_REQUEST_ID } from "../platform/request.ts";

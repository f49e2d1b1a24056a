import type { Claims } from "../platform/claims.ts";

export interface GatewayContext {
  claims: Claims;
  /** Correlates a response (and a masked error) with its log lines. */
  requestId: string;
}

/** A caller's x-request-id is kept only if it is plain enough to put in logs and headers. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

// Operator-only endpoints (/ready's detail, /metrics). They are reached with
// `authorization: Bearer <OPERATOR_TOKEN>`; without a configured token they stay closed, so a fresh
// deployment discloses nothing about its internals until an operator chooses a token.
import { createHash, timingSafeEqual } from "node:crypto";
import type http from "node:http";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether the request carries the operator token (compared in constant time). */
export function isOperator(req: http.IncomingMessage, token: string | undefined): boolean {
  if (!token) return false;
  const header = req.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("Bearer ")) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}

export const OPERATOR_REFUSAL = {
  status: 401,
  headers: { "www-authenticate": 'Bearer realm="wayfinder-operator"' },
  body: { error: "operator endpoint: send authorization: Bearer <OPERATOR_TOKEN>" },
} as const;

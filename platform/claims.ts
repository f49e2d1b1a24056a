// The gateway → subgraph trust link: the gateway verifies the user's token, then sends each
// subgraph a short-lived JWT (HS256, shared secret) carrying the verified claims in
// `x-wayfinder-claims`. Subgraphs accept nothing else, so calling a subgraph port directly, without
// the gateway, is refused. The directory signs its own service token to read partner change feeds.
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";

export const CLAIMS_HEADER = "x-wayfinder-claims";
export const DEV_INTERNAL_SECRET = "wayfinder-dev-internal-secret-do-not-use-in-production";
const ISSUER = "wayfinder-gateway";
const AUDIENCE = "wayfinder-subgraph";

export type Role = "public" | "professional" | "partner-admin" | "service";

export interface Claims {
  /** Subject (user or service) id; "anonymous" for the public. */
  sub: string;
  role: Role;
  /** The partner a partner-admin administers. */
  partner: PartnerId | null;
  scopes: string[];
}

export const PUBLIC_CLAIMS: Claims = { sub: "anonymous", role: "public", partner: null, scopes: [] };
export const SYNC_CLAIMS: Claims = { sub: "directory", role: "service", partner: null, scopes: ["service:sync"] };

/** The scopes a role carries. Partner admins are professionals too, plus admin of their partner. */
export function scopesFor(role: Role, partner: PartnerId | null): string[] {
  if (role === "professional") return ["professional"];
  if (role === "partner-admin" && partner) return ["professional", `admin:${partner}`];
  if (role === "service") return ["service:sync"];
  return [];
}

export class InternalAuthError extends Error {
  override name = "InternalAuthError";
}

const key = (secret: string) => new TextEncoder().encode(secret);

export async function signClaims(claims: Claims, secret: string, ttlSeconds = 60): Promise<string> {
  return new SignJWT({ role: claims.role, partner: claims.partner, scopes: claims.scopes })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key(secret));
}

export async function verifyClaims(token: string | undefined | null, secret: string): Promise<Claims> {
  if (!token) throw new InternalAuthError(`missing ${CLAIMS_HEADER}: subgraphs only answer the gateway`);
  try {
    const { payload } = await jwtVerify(token, key(secret), { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] });
    const role = payload.role as Role;
    const partner = (payload.partner as string | null) ?? null;
    if (!["public", "professional", "partner-admin", "service"].includes(role)) throw new InternalAuthError("unknown role");
    if (partner !== null && !(PARTNERS as readonly string[]).includes(partner)) throw new InternalAuthError("unknown partner");
    const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === "string") : [];
    return { sub: String(payload.sub ?? ""), role, partner: partner as PartnerId | null, scopes };
  } catch (err) {
    if (err instanceof InternalAuthError) throw err;
    const reason = err instanceof joseErrors.JWTExpired ? "expired" : "invalid";
    throw new InternalAuthError(`${reason} ${CLAIMS_HEADER}`);
  }
}

// The gateway → subgraph trust link: the gateway verifies the user's token, then sends each
// subgraph a short-lived JWT (HS256, shared secret) carrying the verified claims in
// `x-wayfinder-claims`. Subgraphs accept nothing else, so calling a subgraph port directly, without
// the gateway, is refused. The directory signs its own service token to read partner change feeds.
//
// Each token is bound to where it goes and what it carries, as HMAC upstream-signature schemes
// are (Hive Gateway's useHmacUpstreamSignature signs the upstream request body): its audience
// names one subgraph, and its `bh` claim is the SHA-256 of the exact request body. Whoever runs one
// partner's subgraph therefore receives tokens that no other subgraph accepts, and cannot reuse one
// for a different request; the short lifetime bounds replaying the same request to the same place.
import { createHash } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";

export const CLAIMS_HEADER = "x-wayfinder-claims";
const ISSUER = "wayfinder-gateway";
/** Lifetime of a claims token: one request's round trip, with room for a loaded machine. */
export const CLAIMS_TTL_SECONDS = 15;
/** Shortest internal secret accepted (HS256 wants at least 256 bits of key). */
export const MIN_SECRET_LENGTH = 32;

/** The audience of tokens for one subgraph (a partner id, or "directory"). */
export const audienceFor = (subgraph: string) => `wayfinder-subgraph:${subgraph}`;

/** What a token's `bh` claim holds: the SHA-256 of the request body, base64url. */
export const bodyHash = (body: string) =>
  createHash("sha256").update(body, "utf8").digest("base64url");

/** Where a token may be used, and for which request. */
export interface Binding {
  /** The subgraph that will receive it. */
  audience: string;
  /** The exact request body ("" for a GET). */
  body: string;
}

export type Role = "public" | "professional" | "partner-admin" | "service";

export interface Claims {
  /** Subject (user or service) id; "anonymous" for the public. */
  sub: string;
  role: Role;
  /** The partner a partner-admin administers. */
  partner: PartnerId | null;
  scopes: string[];
}

export const PUBLIC_CLAIMS: Claims = {
  sub: "anonymous",
  role: "public",
  partner: null,
  scopes: [],
};
export const SYNC_CLAIMS: Claims = {
  sub: "directory",
  role: "service",
  partner: null,
  scopes: ["service:sync"],
};

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

// One imported key per secret: jose imports a raw Uint8Array into a WebCrypto key on every sign
// and verify, which was most of a subgraph's per-request claims cost (measured in issue 14).
const keys = new Map<string, Promise<CryptoKey>>();

function key(secret: string): Promise<CryptoKey> {
  // No default below config: a missing or short secret is a deployment mistake, refused loudly.
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH)
    throw new InternalAuthError(
      `the internal secret must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    if (keys.size > 8) keys.clear();
    keys.set(secret, k);
  }
  return k;
}

export async function signClaims(
  claims: Claims,
  secret: string,
  binding: Binding,
  ttlSeconds = CLAIMS_TTL_SECONDS,
): Promise<string> {
  return new SignJWT({
    role: claims.role,
    partner: claims.partner,
    scopes: claims.scopes,
    bh: bodyHash(binding.body),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(audienceFor(binding.audience))
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(await key(secret));
}

export async function verifyClaims(
  token: string | undefined | null,
  secret: string,
  binding: Binding,
): Promise<Claims> {
  if (!token)
    throw new InternalAuthError(`missing ${CLAIMS_HEADER}: subgraphs only answer the gateway`);
  const k = await key(secret);
  try {
    const { payload } = await jwtVerify(token, k, {
      issuer: ISSUER,
      audience: audienceFor(binding.audience),
      algorithms: ["HS256"],
    });
    if (payload.bh !== bodyHash(binding.body))
      throw new InternalAuthError(`${CLAIMS_HEADER} was signed for another request`);
    const role = payload.role as Role;
    const partner = (payload.partner as string | null) ?? null;
    if (!["public", "professional", "partner-admin", "service"].includes(role))
      throw new InternalAuthError("unknown role");
    if (partner !== null && !(PARTNERS as readonly string[]).includes(partner))
      throw new InternalAuthError("unknown partner");
    const scopes = Array.isArray(payload.scopes)
      ? payload.scopes.filter((s): s is string => typeof s === "string")
      : [];
    return { sub: String(payload.sub ?? ""), role, partner: partner as PartnerId | null, scopes };
  } catch (err) {
    if (err instanceof InternalAuthError) throw err;
    const reason =
      err instanceof joseErrors.JWTExpired
        ? "expired"
        : err instanceof joseErrors.JWTClaimValidationFailed && err.claim === "aud"
          ? "wrong audience for"
          : "invalid";
    throw new InternalAuthError(`${reason} ${CLAIMS_HEADER}`);
  }
}

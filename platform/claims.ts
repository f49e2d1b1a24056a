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
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
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

/** The internal secret, refused loudly when missing or short (no default below config). */
function checkedSecret(secret: string): string {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH)
    throw new InternalAuthError(
      `the internal secret must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  return secret;
}

// HS256 with node:crypto's synchronous HMAC. The tokens are the same compact JWS that jose makes
// and checks (tests/security/claims-format.test.ts proves both ways), but jose goes through
// WebCrypto, whose sign and verify are each an asynchronous job on the thread pool: about 1 ms of
// CPU per signature, measured as 7 % of a routeChild plan's CPU (issue 14). This HMAC is a few µs.
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url");

const hmac = (secret: string, input: string) =>
  createHmac("sha256", secret).update(input, "ascii").digest();

export async function signClaims(
  claims: Claims,
  secret: string,
  binding: Binding,
  ttlSeconds = CLAIMS_TTL_SECONDS,
): Promise<string> {
  checkedSecret(secret);
  const iat = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(
    JSON.stringify({
      role: claims.role,
      partner: claims.partner,
      scopes: claims.scopes,
      bh: bodyHash(binding.body),
      sub: claims.sub,
      iss: ISSUER,
      aud: audienceFor(binding.audience),
      iat,
      exp: iat + ttlSeconds,
    }),
  ).toString("base64url");
  const input = `${HEADER}.${payload}`;
  return `${input}.${hmac(secret, input).toString("base64url")}`;
}

const invalid = () => new InternalAuthError(`invalid ${CLAIMS_HEADER}`);

function jsonPart(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalid();
  return value as Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The checks jose's jwtVerify made with { issuer, audience, algorithms: ["HS256"] }, in its order:
 * the signature, then issuer, audience, iat, nbf and exp (expired when exp ≤ now). Then this
 * link's own: the body hash, a known role and partner.
 */
export async function verifyClaims(
  token: string | undefined | null,
  secret: string,
  binding: Binding,
): Promise<Claims> {
  if (!token)
    throw new InternalAuthError(`missing ${CLAIMS_HEADER}: subgraphs only answer the gateway`);
  checkedSecret(secret);
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) throw invalid();
  const [h, p, sig] = parts as [string, string, string];
  const header = jsonPart(h);
  // Only HS256; a `crit` header names extensions this verifier does not know (as jose refuses).
  if (header.alg !== "HS256" || header.crit !== undefined || header.b64 !== undefined)
    throw invalid();
  const expected = hmac(secret, `${h}.${p}`);
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  const payload = jsonPart(p);
  if (payload.iss !== ISSUER) throw invalid();
  const aud = audienceFor(binding.audience);
  const audOk = Array.isArray(payload.aud) ? payload.aud.includes(aud) : payload.aud === aud;
  if (!audOk) throw new InternalAuthError(`wrong audience for ${CLAIMS_HEADER}`);
  const now = Math.floor(Date.now() / 1000);
  if (payload.iat !== undefined && typeof payload.iat !== "number") throw invalid();
  if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf > now))
    throw invalid();
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== "number") throw invalid();
    if (payload.exp <= now) throw new InternalAuthError(`expired ${CLAIMS_HEADER}`);
  }
  if (payload.bh !== bodyHash(binding.body))
    throw new InternalAuthError(`${CLAIMS_HEADER} was signed for another request`);
  const role = payload.role as Role;
  const partner = (payload.partner as string | null | undefined) ?? null;
  if (!["public", "professional", "partner-admin", "service"].includes(role))
    throw new InternalAuthError("unknown role");
  if (partner !== null && !(PARTNERS as readonly string[]).includes(partner))
    throw new InternalAuthError("unknown partner");
  const scopes = Array.isArray(payload.scopes)
    ? payload.scopes.filter((s): s is string => typeof s === "string")
    : [];
  return { sub: String(payload.sub ?? ""), role, partner: partner as PartnerId | null, scopes };
}

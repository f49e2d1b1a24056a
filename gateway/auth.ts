// Who is asking: the gateway verifies a bearer JWT (issuer, audience, expiry, signature from a JWKS
// URL or a configured public key) and maps it to a role. No token means the anonymous public.
// In development the config loader (gateway/config.ts → authConfig) picks the built-in HS256 key,
// which `npm run token` mints tokens for; production refuses that key, and nothing here defaults to it.
import {
  createRemoteJWKSet,
  importSPKI,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JWTVerifyGetKey,
} from "jose";
import { isPartnerId } from "../schema/vocabulary.ts";
import { PUBLIC_CLAIMS, scopesFor, type Claims, type Role } from "../platform/claims.ts";

export const DEV_JWT_SECRET = "wayfinder-development-signing-key-never-use-in-production";
export const DEV_ISSUER = "wayfinder-dev";
export const DEFAULT_AUDIENCE = "wayfinder";

export interface AuthConfig {
  issuer: string;
  audience: string;
  /** JWKS endpoint of the identity provider (preferred in production). */
  jwksUrl?: string;
  /** PEM (SPKI) public key, instead of a JWKS URL. */
  publicKey?: string;
  /** Algorithm of `publicKey`; default RS256. */
  algorithm: string;
  /** HS256 development key, chosen by authConfig outside production when no other key is set. */
  devSecret?: string;
  production: boolean;
}

export class AuthConfigError extends Error {
  override name = "AuthConfigError";
}
export class TokenError extends Error {
  override name = "TokenError";
}

/** The gateway's token settings (AUTH_*), read by the gateway's config loader. */
export function authConfig(env: Record<string, string | undefined>): AuthConfig {
  const production = env.NODE_ENV === "production";
  const cfg: AuthConfig = {
    issuer: env.AUTH_ISSUER || DEV_ISSUER,
    audience: env.AUTH_AUDIENCE || DEFAULT_AUDIENCE,
    jwksUrl: env.AUTH_JWKS_URL || undefined,
    publicKey: env.AUTH_PUBLIC_KEY || undefined,
    algorithm: env.AUTH_ALGORITHM || "RS256",
    production,
  };
  if (production && !cfg.jwksUrl && !cfg.publicKey) {
    throw new AuthConfigError(
      "production needs AUTH_JWKS_URL or AUTH_PUBLIC_KEY: the development key is refused",
    );
  }
  if (production && cfg.issuer === DEV_ISSUER)
    throw new AuthConfigError("production needs AUTH_ISSUER (not the development issuer)");
  if (!cfg.jwksUrl && !cfg.publicKey) cfg.devSecret = DEV_JWT_SECRET;
  return cfg;
}

/** Returns a function from an Authorization header to verified claims. */
export async function createVerifier(
  cfg: AuthConfig,
): Promise<(authorization: string | undefined) => Promise<Claims>> {
  let key: JWTVerifyGetKey | CryptoKey | Uint8Array;
  let algorithms: string[];
  if (cfg.jwksUrl) {
    key = createRemoteJWKSet(new URL(cfg.jwksUrl));
    algorithms = ["RS256", "ES256", "PS256", "EdDSA"];
  } else if (cfg.publicKey) {
    key = await importSPKI(cfg.publicKey, cfg.algorithm);
    algorithms = [cfg.algorithm];
  } else if (cfg.devSecret && !cfg.production) {
    key = new TextEncoder().encode(cfg.devSecret);
    algorithms = ["HS256"];
  } else {
    throw new AuthConfigError(
      "no token key: set AUTH_JWKS_URL or AUTH_PUBLIC_KEY (a development key is refused in production)",
    );
  }
  return async (authorization) => {
    if (!authorization) return PUBLIC_CLAIMS;
    const m = /^Bearer ([A-Za-z0-9_\-.]{10,4096})$/.exec(authorization.trim());
    if (!m) throw new TokenError('Authorization must be "Bearer <token>"');
    try {
      const { payload } = await jwtVerify(m[1]!, key as never, {
        issuer: cfg.issuer,
        audience: cfg.audience,
        algorithms,
        requiredClaims: ["exp", "sub"],
      });
      const role = payload.role as Role;
      const partner = typeof payload.partner === "string" ? payload.partner : null;
      if (role !== "professional" && role !== "partner-admin")
        throw new TokenError(`token role must be professional or partner-admin`);
      if (role === "partner-admin" && (!partner || !isPartnerId(partner)))
        throw new TokenError("a partner-admin token must name its partner");
      const p = role === "partner-admin" ? (partner as Claims["partner"]) : null;
      return { sub: String(payload.sub), role, partner: p, scopes: scopesFor(role, p) };
    } catch (err) {
      if (err instanceof TokenError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new TokenError("token expired");
      if (err instanceof joseErrors.JWTClaimValidationFailed)
        throw new TokenError(`token ${err.claim} is not accepted`);
      throw new TokenError("token signature or format is invalid");
    }
  };
}

/** Mints a token for the development key (npm run token). Refused in production. */
export async function mintDevToken(opts: {
  role: Role;
  partner?: string | null;
  sub?: string;
  ttl?: string;
  production?: boolean;
  audience?: string;
  issuer?: string;
}): Promise<string> {
  if (opts.production)
    throw new AuthConfigError("the development key cannot mint tokens in production");
  return new SignJWT({ role: opts.role, ...(opts.partner ? { partner: opts.partner } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(opts.sub ?? `dev-${opts.role}`)
    .setIssuer(opts.issuer ?? DEV_ISSUER)
    .setAudience(opts.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.ttl ?? "8h")
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));
}

// Signing in. Production: OpenID Connect authorization code flow with PKCE (openid-client) against
// the configured identity provider; the access token it issues is what the gateway verifies. In
// development: a page to choose a role, which mints a development token (gateway/auth.ts).
import * as oidc from "openid-client";
import { decodeJwt } from "jose";
import { mintDevToken } from "../gateway/auth.ts";
import type { OidcConfig } from "./config.ts";
import type { Session } from "./session.ts";

export type SignInMode =
  | { kind: "development" }
  | { kind: "none" }
  | {
      kind: "oidc";
      /** The provider's discovered configuration, fetched on first use and again after a failure. */
      config: () => Promise<oidc.Configuration>;
      settings: OidcConfig;
    };

/** The identity provider could not be reached (discovery failed): the directory stays up. */
export class ProviderUnavailable extends Error {
  override name = "ProviderUnavailable";
}

/**
 * Production never offers the development sign-in: without a provider it has no sign-in at all.
 * Discovery is lazy and retried, so a provider that is down when the gateway starts costs only
 * sign-in, never the directory or its GraphQL API.
 */
export async function signInMode(
  settings: OidcConfig | undefined,
  production: boolean,
): Promise<SignInMode> {
  if (!settings) return production ? { kind: "none" } : { kind: "development" };
  const options = settings.allowInsecureHttp
    ? { execute: [oidc.allowInsecureRequests] }
    : undefined;
  const discover = () =>
    settings.clientSecret
      ? oidc.discovery(
          new URL(settings.issuer),
          settings.clientId,
          settings.clientSecret,
          undefined,
          options,
        )
      : oidc.discovery(
          new URL(settings.issuer),
          settings.clientId,
          undefined,
          oidc.None(),
          options,
        );
  let discovered: Promise<oidc.Configuration> | undefined;
  const config = () =>
    (discovered ??= discover().catch((err: unknown) => {
      discovered = undefined;
      throw new ProviderUnavailable(
        `identity provider ${settings.issuer} could not be reached: ${err instanceof Error ? err.message : String(err)}`,
      );
    }));
  return { kind: "oidc", config, settings };
}

export const DEV_ROLES = ["professional", "partner-admin"] as const;

/** A sign-in the provider completed but Wayfinder cannot accept; the message is for the user. */
export class SignInRefused extends Error {
  override name = "SignInRefused";
}

const ROLES = ["professional", "partner-admin"];

/**
 * Who the access token says the user is, for display and the session's lifetime; the gateway
 * verifies the token itself on every call. A token without a role the gateway accepts is refused
 * here, at sign-in, rather than failing every page afterwards.
 */
export function userOf(
  token: string,
  idClaims?: Record<string, unknown>,
): NonNullable<Session["user"]> & { expiresAt?: number } {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new SignInRefused(
      "The identity provider's access token is not a JWT. Configure it to issue JWT access tokens for the directory (see web/README.md).",
    );
  }
  const role = typeof claims.role === "string" ? claims.role : undefined;
  if (!role || !ROLES.includes(role))
    throw new SignInRefused(
      "Your account has no Wayfinder role. Ask your administrator to give you the professional role.",
    );
  const name = (idClaims?.name ?? idClaims?.preferred_username ?? idClaims?.email) as
    string | undefined;
  return {
    sub: String(claims.sub ?? idClaims?.sub ?? "unknown"),
    role,
    partner: typeof claims.partner === "string" ? claims.partner : null,
    name,
    expiresAt: typeof claims.exp === "number" ? claims.exp * 1000 : undefined,
  };
}

export async function devToken(role: string, partner: string | undefined): Promise<string> {
  if (!(DEV_ROLES as readonly string[]).includes(role)) throw new Error("choose a role");
  return mintDevToken({
    role: role as (typeof DEV_ROLES)[number],
    partner: role === "partner-admin" ? partner : null,
    sub: `dev-web-${role}`,
  });
}

/** Starts the authorization code flow: PKCE verifier, state and nonce go in the server session. */
export async function beginOidc(mode: Extract<SignInMode, { kind: "oidc" }>, returnTo: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce(), returnTo };
  const url = oidc.buildAuthorizationUrl(await mode.config(), {
    redirect_uri: mode.settings.redirectUri,
    scope: mode.settings.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
    ...mode.settings.extraParams,
  });
  return { url: url.href, pending };
}

export async function finishOidc(
  mode: Extract<SignInMode, { kind: "oidc" }>,
  callbackUrl: URL,
  pending: NonNullable<Session["pending"]>,
) {
  const tokens = await oidc.authorizationCodeGrant(await mode.config(), callbackUrl, {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const { expiresAt, ...user } = userOf(
    tokens.access_token,
    tokens.claims() as Record<string, unknown> | undefined,
  );
  return { token: tokens.access_token, idToken: tokens.id_token, user, expiresAt };
}

/**
 * RP-initiated logout at the provider, when it publishes an end_session_endpoint. The provider
 * comes back to the web app's home: the origin of the registered redirect URI (register it as a
 * post-logout redirect URI too), never an address built from the request's Host header.
 */
export async function endSessionUrl(
  mode: Extract<SignInMode, { kind: "oidc" }>,
  idToken: string | undefined,
): Promise<string | null> {
  const config = await mode.config();
  if (!config.serverMetadata().end_session_endpoint) return null;
  return oidc.buildEndSessionUrl(config, {
    post_logout_redirect_uri: postLogoutUri(mode.settings),
    ...(idToken ? { id_token_hint: idToken } : {}),
  }).href;
}

export function postLogoutUri(settings: OidcConfig): string {
  return new URL("/", settings.redirectUri).href;
}

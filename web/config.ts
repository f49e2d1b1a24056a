// Web app configuration, read from the environment once. Without WEB_OIDC_ISSUER the app offers the
// development sign-in (choose a role, get a development token); production never does: with no
// identity provider configured it serves the public directory only.
export interface OidcConfig {
  /** Issuer URL; its /.well-known/openid-configuration is discovered at start. */
  issuer: string;
  clientId: string;
  /** Confidential clients only; a public client uses PKCE alone. */
  clientSecret?: string;
  /** Absolute URL of /auth/callback as registered with the provider. */
  redirectUri: string;
  /** Space-separated scopes; the access token must be one the gateway accepts (AUTH_AUDIENCE). */
  scope: string;
  /** Extra authorization parameters some providers need, e.g. "audience=wayfinder". */
  extraParams: Record<string, string>;
  /**
   * Plain http to the provider: only for one on this machine (127.0.0.1, ::1, localhost), where
   * TLS protects nothing; any other http issuer is refused at start.
   */
  allowInsecureHttp?: boolean;
}

export interface WebConfig {
  production: boolean;
  oidc?: OidcConfig;
  /** Session lifetime, seconds. */
  sessionTtlSeconds: number;
  /** REDIS_URL: sessions in Redis, shared by every gateway replica; unset → this process's memory. */
  sessionRedis?: { url: string; keyPrefix?: string };
}

export function webConfig(env: Record<string, string | undefined> = process.env): WebConfig {
  const production = env.NODE_ENV === "production";
  const issuer = env.WEB_OIDC_ISSUER || undefined;
  let oidc: OidcConfig | undefined;
  if (issuer) {
    const clientId = env.WEB_OIDC_CLIENT_ID;
    const redirectUri = env.WEB_OIDC_REDIRECT_URI;
    if (!clientId) throw new Error("WEB_OIDC_ISSUER is set, so WEB_OIDC_CLIENT_ID is required");
    if (!redirectUri)
      throw new Error(
        "WEB_OIDC_ISSUER is set, so WEB_OIDC_REDIRECT_URI (…/auth/callback) is required",
      );
    const loopback = (u: URL) => ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
    const url = (name: string, value: string) => {
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        throw new Error(`${name} must be an absolute URL, got "${value}"`);
      }
      if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback(u)))
        throw new Error(`${name} must be an https URL (http only on this machine), got "${value}"`);
      return u;
    };
    const issuerUrl = url("WEB_OIDC_ISSUER", issuer);
    url("WEB_OIDC_REDIRECT_URI", redirectUri);
    if (!new URL(redirectUri).pathname.endsWith("/auth/callback"))
      throw new Error(`WEB_OIDC_REDIRECT_URI must end in /auth/callback, got "${redirectUri}"`);
    oidc = {
      issuer,
      clientId,
      clientSecret: env.WEB_OIDC_CLIENT_SECRET || undefined,
      redirectUri,
      scope: env.WEB_OIDC_SCOPE || "openid profile",
      extraParams: Object.fromEntries(new URLSearchParams(env.WEB_OIDC_AUTH_PARAMS || "")),
      allowInsecureHttp: issuerUrl.protocol === "http:",
    };
  }
  const ttl = Number(env.WEB_SESSION_TTL_SECONDS || 8 * 3600);
  if (!Number.isInteger(ttl) || ttl < 60)
    throw new Error(
      `WEB_SESSION_TTL_SECONDS must be an integer ≥ 60, got "${env.WEB_SESSION_TTL_SECONDS}"`,
    );
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new Error(`REDIS_URL must be a redis:// or rediss:// URL, got "${redisUrl}"`);
  return {
    production,
    oidc,
    sessionTtlSeconds: ttl,
    ...(redisUrl ? { sessionRedis: { url: redisUrl } } : {}),
  };
}

// A real OpenID Provider for the web app's sign-in tests: panva's oidc-provider (an OpenID-certified
// implementation) on 127.0.0.1, port 0. It signs people in through its own login and consent pages
// (written here, like any deployment's, so nothing loads from outside 127.0.0.1), requires PKCE,
// supports RP-initiated logout, and issues JWT access tokens for the gateway's audience carrying the
// account's `role` (and `partner`) claims, as web/README.md asks an identity provider to.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPair, exportJWK } from "jose";
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from "oidc-provider";

export interface TestAccount {
  password: string;
  name: string;
  /** What the IdP puts in the access token's `role` claim; absent for someone with no Wayfinder role. */
  role?: string;
  partner?: string;
}

export interface TestIdp {
  issuer: string;
  jwksUrl: string;
  clientId: string;
  clientSecret: string;
  /** The resource indicator whose access tokens the gateway accepts (audience `audience`). */
  resource: string;
  audience: string;
  /** The resource scope the web app asks for. */
  apiScope: string;
  /** Registers the web app's callback and post-logout addresses (known once the gateway listens). */
  registerClient(redirectUri: string, postLogoutRedirectUri: string): void;
  /** Every request the provider received, as "METHOD /path?query". */
  requests: string[];
  close(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const c of req) body += c;
  return new URLSearchParams(body);
}

export async function startTestIdp(
  accounts: Record<string, TestAccount>,
  opts: { audience: string },
): Promise<TestIdp> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: "RS256", use: "sig", kid: "test-idp-1" };
  const clientId = "wayfinder-web";
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const resource = "urn:wayfinder:directory";
  const apiScope = "wayfinder";
  const requests: string[] = [];
  let provider: Provider | undefined;
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;

  const configuration = (redirectUri: string, postLogout: string): Configuration => ({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        post_logout_redirect_uris: [postLogout],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: ["test-idp-cookie-key-0123456789abcdef"] },
    // Every client must use PKCE (S256), confidential ones included.
    pkce: { required: () => true },
    claims: { openid: ["sub"], profile: ["name"] },
    findAccount: async (_ctx, sub) => {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: account.name }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = page(
            "Sign out of the test identity provider?",
            `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button><button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: apiScope,
            audience: opts.audience,
            accessTokenFormat: "jwt",
            accessTokenTTL: 600,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    // The role (and a partner administrator's partner) travel in the access token the gateway verifies.
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== "AccessToken" || !token.accountId) return undefined;
      const account = accounts[token.accountId];
      return account?.role
        ? { role: account.role, ...(account.partner ? { partner: account.partner } : {}) }
        : undefined;
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 600 },
  });

  /** Our own login and consent pages (oidc-provider's development pages load a web font). */
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const p = provider!;
    const details = await p.interactionDetails(req, res);
    const uid = details.uid;
    const send = (html: string, status = 200) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    };
    if (req.method === "GET") {
      if (details.prompt.name === "login") {
        return send(
          page(
            "Sign in to the test identity provider",
            `<form method="post" action="/interaction/${uid}/login"><label for="username">Username</label><input id="username" name="username" autocomplete="username"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password"><button type="submit" id="idp-sign-in">Sign in</button></form>`,
          ),
        );
      }
      return send(
        page(
          "Allow Wayfinder to use your account?",
          `<p>Wayfinder asks for: ${escape([...((details.prompt.details.missingOIDCScope as string[]) ?? [])].join(", "))}</p><form method="post" action="/interaction/${uid}/confirm"><button type="submit" id="idp-allow">Allow</button></form><form method="post" action="/interaction/${uid}/abort"><button type="submit" id="idp-deny">Deny</button></form>`,
        ),
      );
    }
    const form = await readForm(req);
    if (url.pathname.endsWith("/login")) {
      const username = form.get("username") ?? "";
      const account = accounts[username];
      if (!account || account.password !== form.get("password"))
        return send(
          page(
            "Sign in to the test identity provider",
            `<p id="idp-error">Wrong username or password.</p>`,
          ),
          401,
        );
      return p.interactionFinished(
        req,
        res,
        { login: { accountId: username } },
        { mergeWithLastSubmission: false },
      );
    }
    if (url.pathname.endsWith("/confirm")) {
      const accountId = details.session!.accountId;
      const grant = details.grantId
        ? (await p.Grant.find(details.grantId))!
        : new p.Grant({ accountId, clientId: details.params.client_id as string });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope)
        grant.addOIDCScope((missing.missingOIDCScope as string[]).join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
      for (const [indicator, scopes] of Object.entries(
        (missing.missingResourceScopes as Record<string, string[]>) ?? {},
      ))
        grant.addResourceScope(indicator, scopes.join(" "));
      const grantId = await grant.save();
      return p.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    }
    return p.interactionFinished(
      req,
      res,
      { error: "access_denied", error_description: "The user refused" },
      { mergeWithLastSubmission: false },
    );
  }

  server.on("request", (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", issuer);
    if (!provider || !handler) {
      res.writeHead(503).end();
      return;
    }
    if (url.pathname.startsWith("/interaction/")) {
      interaction(req, res, url).catch((err: unknown) => {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(err instanceof Error ? err.message : String(err));
      });
      return;
    }
    handler(req, res);
  });

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    clientSecret,
    resource,
    audience: opts.audience,
    apiScope,
    requests,
    registerClient(redirectUri, postLogout) {
      provider = new Provider(issuer, configuration(redirectUri, postLogout));
      handler = provider.callback();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

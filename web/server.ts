// The web app for professionals and commissioners: server-rendered GOV.UK Design System pages
// (Nunjucks, with govuk-frontend's own macros) served at the gateway's "/". It reads data only
// through the gateway's public GraphQL endpoint, with the signed-in user's token from the session.
import fs from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type http from "node:http";
import nunjucks from "nunjucks";
import type { HttpHandler } from "../platform/http.ts";
import type { WebConfig } from "./config.ts";
import { createGql, GatewayUnreachableError, type Gql, type GqlResult } from "./gql.ts";
import { MemorySessions, RedisSessions, SessionStore, type Session } from "./session.ts";
import {
  beginOidc,
  devToken,
  endSessionUrl,
  finishOidc,
  signInMode,
  userOf,
  SignInRefused,
  ProviderUnavailable,
  DEV_ROLES,
  type SignInMode,
} from "./auth.ts";
import { searchPage } from "./pages/search.ts";
import { servicePage } from "./pages/service.ts";
import { routeForm, routePlan } from "./pages/route.ts";
import { coveragePage } from "./pages/coverage.ts";
import { referralPages } from "./pages/referral.ts";
import { PARTNER_LABELS } from "./labels.ts";
import { Errors } from "./pages/common.ts";

export type WebOptions = Partial<WebConfig>;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GOVUK_DIST = path.join(
  path.dirname(createRequire(import.meta.url).resolve("govuk-frontend/package.json")),
  "dist",
);

export interface PageContext {
  req: http.IncomingMessage;
  url: URL;
  session: Session | undefined;
  gql: Gql;
  /** Calls the gateway with this user's token. */
  ask: <T>(query: string, variables?: Record<string, unknown>) => Promise<GqlResult<T>>;
  form?: URLSearchParams;
}

export interface Rendered {
  status?: number;
  template: string;
  data: Record<string, unknown>;
  /** The page holds a child's profile: no caching anywhere, no referrer. */
  sensitive?: boolean;
}

const STATIC: Record<string, { file: string; type: string }> = {
  "/static/govuk-frontend.min.js": {
    file: path.join(GOVUK_DIST, "govuk/govuk-frontend.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/static/app.css": { file: path.join(HERE, "static/app.css"), type: "text/css; charset=utf-8" },
  "/static/app.js": {
    file: path.join(HERE, "static/app.js"),
    type: "text/javascript; charset=utf-8",
  },
};
const ASSET_TYPES: Record<string, string> = {
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/manifest+json",
};

/**
 * GOV.UK's precompiled stylesheet names GDS Transport, a typeface only GOV.UK services may use;
 * Wayfinder is not on GOV.UK, so the Design System's own fallback (Arial) is used instead.
 */
async function govukCss(): Promise<string> {
  const css = await fs.readFile(path.join(GOVUK_DIST, "govuk/govuk-frontend.min.css"), "utf8");
  return css.replace(/@font-face\{[^}]*\}/g, "").replace(/"?GDS Transport"?,/g, "");
}

const GATEWAY_PATHS = /^\/(graphql|health|ready|metrics|oruk)(\/|$)/;

export class BadRequest extends Error {}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new BadRequest("form too large");
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The web app's request handler; `close` ends its session store's connection. */
export type WebHandler = HttpHandler & { close(): Promise<void> };

export async function createWeb(opts: WebOptions & { graphqlUrl: string }): Promise<WebHandler> {
  const production = !!opts.production;
  const gql = createGql(opts.graphqlUrl);
  const sessions = new SessionStore(
    opts.sessionTtlSeconds ?? 8 * 3600,
    production,
    opts.sessionRedis
      ? new RedisSessions(opts.sessionRedis.url, opts.sessionRedis.keyPrefix)
      : new MemorySessions(),
  );
  const mode: SignInMode = await signInMode(opts.oidc, production);
  // Discover the provider now, so the first sign-in is quick; if it is down, sign-in says so until
  // it answers, and everything else is served meanwhile.
  if (mode.kind === "oidc")
    mode.config().catch((err: unknown) => console.error(`web: ${(err as Error).message}`));
  const css = await govukCss();
  const env = nunjucks.configure([path.join(HERE, "views"), GOVUK_DIST], {
    autoescape: true,
    throwOnUndefined: false,
    noCache: !production,
  });
  env.addFilter("partner", (p: string) => PARTNER_LABELS[String(p).toUpperCase()] ?? p);
  env.addFilter("km", (n: number | null | undefined) =>
    n == null ? "" : `${n < 10 ? n.toFixed(1) : Math.round(n)} km`,
  );
  env.addFilter("ukdate", (d: string | null | undefined) =>
    d
      ? new Date(`${d.slice(0, 10)}T12:00:00Z`).toLocaleDateString("en-GB", {
          day: "numeric",
          month: "long",
          year: "numeric",
          timeZone: "Europe/London",
        })
      : "",
  );
  const formAction = mode.kind === "oidc" ? ` ${new URL(mode.settings.issuer).origin}` : "";

  const send = (
    res: http.ServerResponse,
    status: number,
    body: string | Buffer,
    headers: Record<string, string>,
  ) => {
    res.writeHead(status, { "x-content-type-options": "nosniff", ...headers });
    res.end(body);
  };

  const render = (res: http.ServerResponse, ctx: PageContext, page: Rendered) => {
    const nonce = randomBytes(16).toString("base64");
    const html = env.render(page.template, {
      cspNonce: nonce,
      user: ctx.session?.user,
      signInKind: mode.kind,
      currentPath: ctx.url.pathname,
      // Where "Sign in" comes back to; a POST page (a plan) comes back to its empty form.
      returnTo: ctx.req.method === "POST" ? ctx.url.pathname : ctx.url.pathname + ctx.url.search,
      ...page.data,
    });
    send(res, page.status ?? 200, html, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'${formAction}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`,
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "cache-control": page.sensitive || ctx.session?.user ? "no-store" : "no-cache",
    });
  };

  const redirect = (res: http.ServerResponse, location: string) =>
    send(res, 303, "", { location, "cache-control": "no-store" });

  /** Cross-site form posts are refused: SameSite=Lax stops the cookie, this stops the action. */
  const sameOrigin = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    if (!origin || origin === "null") return req.headers["sec-fetch-site"] !== "cross-site";
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };

  const safeReturn = (to: string | null | undefined) =>
    to && to.startsWith("/") && !to.startsWith("//") ? to : "/";

  async function serveStatic(pathname: string, res: http.ServerResponse): Promise<boolean> {
    if (pathname === "/static/govuk-frontend.min.css") {
      send(res, 200, css, {
        "content-type": "text/css; charset=utf-8",
        "cache-control": "public, max-age=3600",
      });
      return true;
    }
    let file: string | undefined;
    let type: string | undefined;
    if (STATIC[pathname]) ({ file, type } = STATIC[pathname]);
    else if (pathname.startsWith("/assets/")) {
      const root = path.join(GOVUK_DIST, "govuk/assets");
      const candidate = path.normalize(
        path.join(root, decodeURIComponent(pathname.slice("/assets/".length))),
      );
      if (!candidate.startsWith(root + path.sep)) return false;
      file = candidate;
      type = ASSET_TYPES[path.extname(candidate)];
    }
    if (!file || !type) return false;
    try {
      send(res, 200, await fs.readFile(file), {
        "content-type": type,
        "cache-control": "public, max-age=3600",
      });
      return true;
    } catch {
      return false;
    }
  }

  const handler: HttpHandler = async (req, res, url) => {
    // HEAD is answered as GET; Node leaves the body out.
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
    // Paths the gateway (or a mounted API) owns; "/" stays GraphQL for POSTs, as before.
    if (GATEWAY_PATHS.test(url.pathname) || (url.pathname === "/" && method !== "GET"))
      return false;
    if (
      method === "GET" &&
      (url.pathname.startsWith("/assets/") || url.pathname.startsWith("/static/"))
    )
      return serveStatic(url.pathname, res);
    const session = await sessions.get(req);
    const ctx: PageContext = {
      req,
      url,
      session,
      gql,
      ask: <T>(query: string, variables?: Record<string, unknown>) =>
        gql<T>(query, variables, { token: session?.token, clientIp: req.socket.remoteAddress }),
    };
    try {
      if (method === "POST") {
        if (!sameOrigin(req)) {
          send(res, 403, "Cross-site form submissions are refused.", {
            "content-type": "text/plain; charset=utf-8",
          });
          return true;
        }
        ctx.form = await readForm(req);
      }
      const p = url.pathname;
      if (p === "/" && method === "GET") return (render(res, ctx, await searchPage(ctx)), true);
      if (p.startsWith("/services/") && method === "GET")
        return (
          render(
            res,
            ctx,
            await servicePage(ctx, decodeURIComponent(p.slice("/services/".length))),
          ),
          true
        );
      if (p === "/route" && method === "GET") return (render(res, ctx, await routeForm(ctx)), true);
      if (p === "/route" && method === "POST")
        return (render(res, ctx, await routePlan(ctx)), true);
      if (p === "/coverage" && method === "GET")
        return (render(res, ctx, await coveragePage(ctx)), true);
      if (p.startsWith("/refer") || p === "/referral-health") {
        const page = await referralPages(ctx, method, p);
        if (page && "redirect" in page) return (redirect(res, page.redirect), true);
        if (page) return (render(res, ctx, page), true);
      }

      if (p === "/sign-in" && method === "GET") {
        const returnTo = safeReturn(url.searchParams.get("returnTo"));
        if (mode.kind === "oidc") {
          let begun: Awaited<ReturnType<typeof beginOidc>>;
          try {
            begun = await beginOidc(mode, returnTo);
          } catch (err) {
            if (!(err instanceof ProviderUnavailable)) throw err;
            console.error(`web: ${err.message}`);
            render(res, ctx, {
              status: 503,
              template: "message.njk",
              data: {
                title: "Sign-in is not available right now",
                body: "The identity provider could not be reached. The public directory is still here; try signing in again in a few minutes.",
              },
            });
            return true;
          }
          const { url: to, pending } = begun;
          await sessions.create(res, { pending });
          redirect(res, to);
          return true;
        }
        if (mode.kind === "none") {
          render(res, ctx, {
            status: 404,
            template: "message.njk",
            data: {
              title: "Sign-in is not available",
              body: "No identity provider is configured, so only the public directory is available.",
            },
          });
          return true;
        }
        render(res, ctx, {
          template: "sign-in.njk",
          data: {
            returnTo,
            partners: Object.entries(PARTNER_LABELS),
            errorSummary: [],
            fieldErrors: {},
          },
        });
        return true;
      }
      if (p === "/sign-in" && method === "POST" && mode.kind === "development") {
        const role = ctx.form!.get("role") ?? "";
        const partner = ctx.form!.get("partner") ?? undefined;
        const returnTo = safeReturn(ctx.form!.get("returnTo"));
        const errors = new Errors();
        if (!(DEV_ROLES as readonly string[]).includes(role))
          errors.add("role", "Choose a role to sign in as");
        if (role === "partner-admin" && !partner)
          errors.add("partner", "Choose the partner you administer");
        if (errors.any) {
          render(res, ctx, {
            status: 400,
            template: "sign-in.njk",
            data: {
              returnTo,
              partners: Object.entries(PARTNER_LABELS),
              errorSummary: errors.summary(),
              fieldErrors: errors.byField(),
              role,
            },
          });
          return true;
        }
        const token = await devToken(role, partner?.toLowerCase());
        const { expiresAt, ...user } = userOf(token);
        await sessions.destroy(req, res);
        await sessions.create(res, { token, user, expiresAt });
        redirect(res, returnTo);
        return true;
      }
      if (p === "/auth/callback" && method === "GET" && mode.kind === "oidc") {
        const pending = session?.pending;
        if (!pending) {
          render(res, ctx, {
            status: 400,
            template: "message.njk",
            data: {
              title: "Sign-in expired",
              body: "That sign-in link has expired or was already used. Sign in again.",
            },
          });
          return true;
        }
        const callback = new URL(mode.settings.redirectUri);
        callback.search = url.search;
        // The pending sign-in is used once, whatever happens: a replayed or forged callback
        // (wrong state, a code without its PKCE verifier) finds nothing to complete.
        await sessions.destroy(req, res);
        let signedIn: Awaited<ReturnType<typeof finishOidc>>;
        try {
          signedIn = await finishOidc(mode, callback, pending);
        } catch (err) {
          const refused = err instanceof SignInRefused;
          const cancelled = url.searchParams.get("error") === "access_denied";
          const cause =
            err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
          console.error(
            `web: sign-in failed: ${err instanceof Error ? `${err.name}: ${err.message}${cause}` : String(err)}`,
          );
          render(res, ctx, {
            status: refused ? 403 : 400,
            template: "message.njk",
            data: {
              title: cancelled ? "Sign-in cancelled" : "Sign-in failed",
              body: refused
                ? (err as Error).message
                : cancelled
                  ? "You did not allow Wayfinder to use your account, so you are not signed in."
                  : "The identity provider's answer could not be checked, so you are not signed in. Sign in again.",
              signInAgain: true,
            },
          });
          return true;
        }
        await sessions.create(res, signedIn);
        redirect(res, pending.returnTo);
        return true;
      }
      if (p === "/sign-out" && method === "POST") {
        const idToken = session?.idToken;
        await sessions.destroy(req, res);
        redirect(
          res,
          (mode.kind === "oidc" &&
            session?.user &&
            (await endSessionUrl(mode, idToken).catch(() => null))) ||
            "/",
        );
        return true;
      }
      if (
        p.startsWith("/services/") ||
        p === "/route" ||
        p === "/coverage" ||
        p.startsWith("/sign-") ||
        p === "/auth/callback"
      ) {
        send(res, 405, "Method not allowed", {
          "content-type": "text/plain; charset=utf-8",
          allow: "GET, POST",
        });
        return true;
      }
      render(res, ctx, {
        status: 404,
        template: "message.njk",
        data: {
          title: "Page not found",
          body: "If you typed the web address, check it is correct.",
        },
      });
      return true;
    } catch (err) {
      if (err instanceof BadRequest) {
        send(res, 400, err.message, { "content-type": "text/plain; charset=utf-8" });
        return true;
      }
      const unreachable = err instanceof GatewayUnreachableError;
      // The error's message never carries a profile: the GraphQL client puts none in it.
      console.error(
        `web: ${req.method} ${url.pathname} failed: ${err instanceof Error ? err.name + ": " + err.message : String(err)}`,
      );
      render(res, ctx, {
        status: unreachable ? 503 : 500,
        template: "message.njk",
        data: {
          title: "Sorry, there is a problem with the service",
          body: unreachable
            ? "The directory could not be reached. Try again in a few minutes."
            : "Try again later.",
        },
      });
      return true;
    }
  };
  return Object.assign(handler, { close: () => sessions.close() });
}

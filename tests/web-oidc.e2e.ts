// Signing in to the web app with OpenID Connect against a real OpenID Provider (panva's certified
// oidc-provider on 127.0.0.1), in real Chromium: the provider's own login and consent pages, the
// authorization code flow with PKCE (S256), state and nonce, a JWT access token the gateway verifies
// from the provider's JWKS, the `role` claim revealing professional-only fields, RP-initiated logout
// hiding them again, and forged or unacceptable answers refused. The web app runs with the
// production settings (NODE_ENV=production through its config loader: Secure cookie, no
// development sign-in).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page, Request } from "playwright-core";
import { startTestStack } from "./helpers/stack.ts";
import { startTestIdp, type TestIdp } from "./helpers/oidc-provider.ts";
import {
  axeSerious,
  hasBrowser,
  launchBrowser,
  screenshots,
  type Browser,
} from "./helpers/browser.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { authConfig } from "../gateway/auth.ts";
import { createWeb } from "../web/server.ts";
import { webConfig } from "../web/config.ts";
import { PARTNERS } from "../schema/vocabulary.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let idp: TestIdp;
let gateway: RunningGateway;
let browser: Browser;
let page: Page;
let base: string;
const SERVICE = () => `${base}/services/${encodeURIComponent("council:fh-norwich")}`;
const PRO_NOTE = "Professionals' duty line: 01603 999999";

beforeAll(async () => {
  if (!hasBrowser) return;
  idp = await startTestIdp(
    {
      "sam.patel": { password: "correct horse battery", name: "Sam Patel", role: "professional" },
      "alex.visitor": { password: "staple", name: "Alex Visitor" },
    },
    { audience: "wayfinder" },
  );
  stack = await startTestStack("pglite");
  const partnerUrls = Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p]!.url]));
  gateway = await startGateway({
    ...stack.config.gateway,
    port: 0,
    // The gateway trusts the provider's tokens as production would: issuer, audience, JWKS.
    auth: authConfig({
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: "wayfinder",
      AUTH_JWKS_URL: idp.jwksUrl,
    }),
    subgraphUrls: {
      ...stack.config.gateway.subgraphUrls,
      ...partnerUrls,
      directory: stack.directory.http.url,
    },
    web: async (graphqlUrl) => {
      const origin = new URL(graphqlUrl).origin;
      idp.registerClient(`${origin}/auth/callback`, `${origin}/`);
      const cfg = webConfig({
        NODE_ENV: "production",
        WEB_OIDC_ISSUER: idp.issuer,
        WEB_OIDC_CLIENT_ID: idp.clientId,
        WEB_OIDC_CLIENT_SECRET: idp.clientSecret,
        WEB_OIDC_REDIRECT_URI: `${origin}/auth/callback`,
        WEB_OIDC_SCOPE: `openid profile ${idp.apiScope}`,
        WEB_OIDC_AUTH_PARAMS: `resource=${idp.resource}`,
      });
      return createWeb({ ...cfg, graphqlUrl });
    },
  });
  base = gateway.url.replace(/\/graphql$/, "");
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await stack?.close();
  await idp?.close();
});

const professionalFields = () => page.locator("[data-testid=professional-fields]");

/** Signs in at the provider's login page, then allows access on its consent page if it asks. */
async function signInAtProvider(username: string, password: string) {
  await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
  await page.fill("#username", username);
  await page.fill("#password", password);
  const loginPage = page.url();
  await page.click("#idp-sign-in");
  // The provider answers the login with its consent page (a new interaction) or, with consent
  // already given, straight back at the web app.
  await page.waitForURL((u) => u.href !== loginPage);
  await page.waitForLoadState();
  if (await page.locator("#idp-allow").count()) {
    expect(await page.locator("h1").innerText()).toBe("Allow Wayfinder to use your account?");
    await page.click("#idp-allow");
  }
}

/** Starts a sign-in from the service page and returns the authorization request the browser made. */
async function startSignIn(): Promise<URL> {
  const authorize: URL[] = [];
  const onRequest = (r: Request) => {
    const u = new URL(r.url());
    if (u.origin === idp.issuer && u.pathname === "/auth") authorize.push(u);
  };
  page.on("request", onRequest);
  await page.goto(SERVICE());
  await page.getByRole("link", { name: "Sign in" }).first().click();
  await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
  page.off("request", onRequest);
  expect(authorize).toHaveLength(1);
  return authorize[0]!;
}

describe.skipIf(!hasBrowser)("web sign-in with a real OpenID Provider", () => {
  it("signs in through the provider's pages with PKCE, shows a professional-only field, and signs out at the provider", async () => {
    await page.goto(SERVICE());
    expect(await professionalFields().count()).toBe(0);
    expect(await page.content()).not.toContain("01603 999999");

    const auth = await startSignIn();
    const q = auth.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe(idp.clientId);
    expect(q.get("redirect_uri")).toBe(`${base}/auth/callback`);
    expect(q.get("scope")).toBe(`openid profile ${idp.apiScope}`);
    expect(q.get("resource")).toBe(idp.resource);
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get("nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    // A wrong password is the provider's business: it says so and nobody is signed in.
    await page.fill("#username", "sam.patel");
    await page.fill("#password", "wrong");
    await page.click("#idp-sign-in");
    expect(await page.locator("#idp-error").innerText()).toBe("Wrong username or password.");
    await page.goBack();
    await signInAtProvider("sam.patel", "correct horse battery");

    await page.waitForURL(SERVICE());
    expect(await professionalFields().innerText()).toContain(PRO_NOTE);
    expect(await page.locator("[data-testid=signed-in-as]").innerText()).toBe(
      "Signed in as Sam Patel (professional)",
    );
    // The browser holds only the session id, Secure and HttpOnly (production settings); the
    // provider's tokens stay on the server.
    // (Playwright lists a Secure cookie only for https URLs, so all cookies are read here.)
    const sessionCookies = async () =>
      (await browser.context.cookies()).filter((c) => c.name === "wayfinder_session");
    const [cookie] = await sessionCookies();
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax" });
    expect(cookie!.value.split(".")).toHaveLength(1);
    expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(await axeSerious(page)).toEqual([]);
    await screenshots(page, "service-signed-in-oidc");

    // RP-initiated logout: the provider asks, ends its session and sends the browser home.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.origin === idp.issuer);
    const endSession = idp.requests.filter((r) => r.startsWith("GET /session/end?"));
    expect(endSession).toHaveLength(1);
    const endParams = new URLSearchParams(endSession[0]!.split("?")[1]);
    expect(endParams.get("post_logout_redirect_uri")).toBe(`${base}/`);
    expect(endParams.get("id_token_hint")).toMatch(/^eyJ/);
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await page.waitForURL(`${base}/`);
    await page.goto(SERVICE());
    expect(await professionalFields().count()).toBe(0);
    expect(await page.content()).not.toContain("01603 999999");
    expect(await sessionCookies()).toEqual([]);

    // The provider's session ended too: signing in again asks for the password again.
    await startSignIn();
    expect(await page.locator("#username").isVisible()).toBe(true);
  });

  it("refuses a callback with a tampered state; the provider refuses the code without its PKCE verifier", async () => {
    // Hold the provider's redirect back to the web app instead of following it. (Playwright does
    // not route requests a redirect makes, so the form posts to the provider are routed, and the
    // provider's own redirects followed here with the browser's cookies.)
    const callbacks: URL[] = [];
    const isInteractionPost = (u: URL) =>
      u.origin === idp.issuer && /^\/interaction\/[^/]+\/(login|confirm)$/.test(u.pathname);
    await page.route(isInteractionPost, async (route) => {
      let res = await route.fetch({ maxRedirects: 0 });
      let location = res.headers()["location"];
      while (location && new URL(location, idp.issuer).origin === idp.issuer) {
        const next = new URL(location, idp.issuer);
        if (next.pathname.startsWith("/interaction/")) break; // a page for the user: show it
        res = await page.context().request.get(next.href, { maxRedirects: 0 });
        location = res.headers()["location"];
      }
      if (location && new URL(location, idp.issuer).origin === base) {
        callbacks.push(new URL(location));
        await route.fulfill({ status: 200, contentType: "text/plain", body: "held by the test" });
      } else if (location) {
        await route.fulfill({
          status: 303,
          headers: { location: new URL(location, idp.issuer).href },
        });
      } else await route.fulfill({ response: res });
    });
    const auth = await startSignIn();
    await page.fill("#username", "sam.patel");
    await page.fill("#password", "correct horse battery");
    await page.click("#idp-sign-in");
    await page.waitForLoadState();
    if (!callbacks.length) await page.click("#idp-allow");
    await expect.poll(() => callbacks.length).toBe(1);
    await page.unroute(isInteractionPost);
    const callback = callbacks[0]!;
    expect(callback.pathname).toBe("/auth/callback");
    const code = callback.searchParams.get("code")!;
    expect(code).toBeTruthy();
    expect(callback.searchParams.get("state")).toBe(auth.searchParams.get("state"));

    // The code is bound to the web app's code challenge: even with the client's own secret, the
    // provider will not exchange it without the verifier, or with another one.
    const tokenRequest = (extra: Record<string, string>) =>
      fetch(`${idp.issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString("base64")}`,
        },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: `${base}/auth/callback`,
          ...extra,
        }),
      });
    const noVerifier = await tokenRequest({});
    expect(noVerifier.status).toBe(400);
    expect(await noVerifier.json()).toMatchObject({ error: "invalid_grant" });
    const wrongVerifier = await tokenRequest({ code_verifier: "x".repeat(43) });
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: "invalid_grant" });

    // A tampered state is refused by the web app, and the pending sign-in is gone afterwards.
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${callback.searchParams.get("state")}x`);
    const res = await page.goto(tampered.href);
    expect(res?.status()).toBe(400);
    expect(await page.locator("h1").innerText()).toBe("Sign-in failed");
    expect(await page.locator("[data-testid=signed-in-as]").count()).toBe(0);
    const replay = await page.goto(callback.href);
    expect(replay?.status()).toBe(400);
    expect(await page.locator("h1").innerText()).toBe("Sign-in expired");
    await page.goto(SERVICE());
    expect(await professionalFields().count()).toBe(0);
  });

  it("refuses an account the provider knows but that has no Wayfinder role", async () => {
    await page.context().clearCookies();
    await startSignIn();
    await signInAtProvider("alex.visitor", "staple");
    await page.waitForURL((u) => u.pathname === "/auth/callback");
    expect(await page.locator("h1").innerText()).toBe("Sign-in failed");
    expect(await page.locator("[data-testid=message]").innerText()).toMatch(/no Wayfinder role/);
    expect(await axeSerious(page)).toEqual([]);
    await page.goto(SERVICE());
    expect(await professionalFields().count()).toBe(0);
    expect(await page.locator("[data-testid=signed-in-as]").count()).toBe(0);
  });

  it("says so when the user refuses consent at the provider", async () => {
    await page.context().clearCookies();
    await startSignIn();
    await page.fill("#username", "sam.patel");
    await page.fill("#password", "correct horse battery");
    await page.click("#idp-sign-in");
    await page.click("#idp-deny");
    await page.waitForURL((u) => u.pathname === "/auth/callback");
    expect(await page.locator("h1").innerText()).toBe("Sign-in cancelled");
    await page.goto(SERVICE());
    expect(await professionalFields().count()).toBe(0);
  });

  it("offers no development sign-in in production", async () => {
    await page.context().clearCookies();
    await page.goto(`${base}/sign-in`);
    // Straight to the provider: there is no role chooser to pick "professional" from.
    expect(page.url().startsWith(`${idp.issuer}/interaction/`)).toBe(true);
    const post = await fetch(`${base}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: "role=professional&returnTo=%2F",
      redirect: "manual",
    });
    expect(post.status).toBe(405);
    expect(post.headers.get("set-cookie")).toBeNull();
  });

  it("a provider that is down when the gateway starts costs only sign-in, until it answers", async () => {
    // A second provider whose server answers 503 to everything (discovery too) until registered.
    const down = await startTestIdp({}, { audience: "wayfinder" });
    let redirectUri = "";
    const gw = await startGateway({
      ...stack.config.gateway,
      port: 0,
      subgraphUrls: {
        ...stack.config.gateway.subgraphUrls,
        ...Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p]!.url])),
        directory: stack.directory.http.url,
      },
      web: async (graphqlUrl) => {
        redirectUri = `${new URL(graphqlUrl).origin}/auth/callback`;
        const cfg = webConfig({
          WEB_OIDC_ISSUER: down.issuer,
          WEB_OIDC_CLIENT_ID: down.clientId,
          WEB_OIDC_CLIENT_SECRET: down.clientSecret,
          WEB_OIDC_REDIRECT_URI: redirectUri,
        });
        return createWeb({ ...cfg, graphqlUrl });
      },
    });
    try {
      const home = gw.url.replace(/\/graphql$/, "");
      // The directory is served: a page and the GraphQL API.
      expect((await fetch(`${home}/coverage`)).status).toBe(200);
      const signIn = await fetch(`${home}/sign-in`, { redirect: "manual" });
      expect(signIn.status).toBe(503);
      expect(await signIn.text()).toContain("Sign-in is not available right now");
      // The provider comes up: the next sign-in discovers it and goes there.
      down.registerClient(redirectUri, `${home}/`);
      const again = await fetch(`${home}/sign-in`, { redirect: "manual" });
      expect(again.status).toBe(303);
      expect(again.headers.get("location")!.startsWith(`${down.issuer}/auth?`)).toBe(true);
    } finally {
      await gw.close();
      await down.close();
    }
  });

  it("never sent a request beyond 127.0.0.1", () => {
    const outside = browser.requests.filter((u) => {
      const url = new URL(u);
      return !(
        url.protocol === "data:" ||
        url.protocol === "about:" ||
        url.hostname === "127.0.0.1"
      );
    });
    expect(browser.requests.length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });
});

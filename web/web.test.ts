// The web app's pure parts: highlight sanitising, SVG escaping and counts, configuration rules.
import { describe, expect, it } from "vitest";
import { safeHighlight, addApiErrors, Errors } from "./pages/common.ts";
import { heatMap, timeline } from "./svg.ts";
import { webConfig } from "./config.ts";
import { signInMode, userOf, SignInRefused } from "./auth.ts";

describe("safeHighlight", () => {
  it("keeps <mark> and escapes everything else, whatever the index held", () => {
    expect(
      safeHighlight(
        "<mark>Family</mark> hub &lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;",
      ),
    ).toBe("<mark>Family</mark> hub &lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;");
    expect(safeHighlight('<img src=x onerror="alert(1)"><mark>x</mark>')).toBe(
      "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;<mark>x</mark>",
    );
    expect(safeHighlight(null)).toBeNull();
  });
});

describe("API errors on the form", () => {
  it("points an error at the field its path names, and keeps unnamed ones for the summary", () => {
    const errors = new Errors();
    addApiErrors(
      errors,
      [
        {
          message: "postcode ZZ99 9ZZ is not one we can place",
          extensions: { code: "BAD_USER_INPUT", field: "near.postcode" },
        },
        { message: "something else", extensions: { code: "BAD_USER_INPUT" } },
        { message: "health is offline", extensions: { code: "PARTNER_UNAVAILABLE" } },
      ],
      { "near.postcode": "where" },
    );
    expect(errors.summary()).toEqual([
      { text: "Postcode ZZ99 9ZZ is not one we can place", href: "#where" },
      { text: "Something else" },
    ]);
  });
});

describe("heat map SVG", () => {
  it("puts the count in every cell, marks gaps and escapes labels", () => {
    const svg = heatMap({
      id: "m",
      title: "A <b> title",
      columns: ["0 to 4", "5 to 11"],
      rows: [
        {
          label: "Needs & <wants>",
          cells: [
            { count: 0, label: "0 to 4" },
            { count: 7, label: "5 to 11" },
          ],
        },
      ],
    });
    expect(svg).toContain("A &lt;b&gt; title");
    expect(svg).toContain("Needs &amp; &lt;wants&gt;");
    expect(svg).not.toContain("<wants>");
    expect(svg.match(/class="app-cell"/g)).toHaveLength(2);
    expect(svg).toContain('data-gaps="1"');
    expect(svg).toMatch(/data-count="7".*>7<\/text>/);
  });

  it("places a contract ending on the timeline, or says there is none", () => {
    const today = new Date("2027-01-15T00:00:00Z");
    expect(timeline({ id: "t", title: "T", items: [], today })).toContain(
      "No sole provider's contract ends in the next 12 months.",
    );
    const svg = timeline({
      id: "t",
      title: "T",
      today,
      items: [
        {
          label: "Bereavement <service>",
          detail: "Only provider for: Bereavement",
          date: "2027-03-01",
          dateText: "1 March 2027",
          withinMonths: 6,
        },
      ],
    });
    expect(svg).toContain("Bereavement &lt;service&gt; – ends 1 March 2027");
    expect(svg).toContain('data-date="2027-03-01"');
  });
});

describe("webConfig", () => {
  it("has no development sign-in in production", async () => {
    const cfg = webConfig({ NODE_ENV: "production" });
    expect(cfg).toMatchObject({ production: true, oidc: undefined });
    expect(await signInMode(cfg.oidc, cfg.production)).toEqual({ kind: "none" });
  });
  it("needs a client id and redirect URI with an identity provider", () => {
    expect(() => webConfig({ WEB_OIDC_ISSUER: "https://id.example" })).toThrow(
      /WEB_OIDC_CLIENT_ID/,
    );
    expect(
      webConfig({
        WEB_OIDC_ISSUER: "https://id.example",
        WEB_OIDC_CLIENT_ID: "wayfinder",
        WEB_OIDC_REDIRECT_URI: "https://w.example/auth/callback",
        WEB_OIDC_AUTH_PARAMS: "audience=wayfinder",
      }).oidc,
    ).toMatchObject({
      clientId: "wayfinder",
      scope: "openid profile",
      extraParams: { audience: "wayfinder" },
    });
  });
  it("takes plain http only from a provider on this machine, and refuses a stray redirect URI", () => {
    const env = {
      NODE_ENV: "production",
      WEB_OIDC_CLIENT_ID: "wayfinder",
      WEB_OIDC_REDIRECT_URI: "https://w.example/auth/callback",
    };
    expect(() => webConfig({ ...env, WEB_OIDC_ISSUER: "http://id.example" })).toThrow(
      /WEB_OIDC_ISSUER must be an https URL/,
    );
    expect(webConfig({ ...env, WEB_OIDC_ISSUER: "http://127.0.0.1:9999" }).oidc).toMatchObject({
      allowInsecureHttp: true,
    });
    expect(webConfig({ ...env, WEB_OIDC_ISSUER: "https://id.example" }).oidc).toMatchObject({
      allowInsecureHttp: false,
    });
    expect(() =>
      webConfig({
        ...env,
        WEB_OIDC_ISSUER: "https://id.example",
        WEB_OIDC_REDIRECT_URI: "http://w.example/auth/callback",
      }),
    ).toThrow(/WEB_OIDC_REDIRECT_URI must be an https URL/);
    expect(() =>
      webConfig({
        ...env,
        WEB_OIDC_ISSUER: "https://id.example",
        WEB_OIDC_REDIRECT_URI: "https://w.example/callback",
      }),
    ).toThrow(/must end in \/auth\/callback/);
  });
});

describe("userOf", () => {
  const token = (claims: Record<string, unknown>) =>
    `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
  it("reads the role, partner and expiry from the access token", () => {
    expect(
      userOf(token({ sub: "u1", role: "partner-admin", partner: "charity", exp: 2_000_000_000 }), {
        name: "Sam",
      }),
    ).toEqual({
      sub: "u1",
      role: "partner-admin",
      partner: "charity",
      name: "Sam",
      expiresAt: 2_000_000_000_000,
    });
  });
  it("refuses a token with no role the gateway accepts, or no JWT at all", () => {
    expect(() => userOf(token({ sub: "u1" }))).toThrow(SignInRefused);
    expect(() => userOf(token({ sub: "u1", role: "admin" }))).toThrow(/no Wayfinder role/);
    expect(() => userOf("opaque-access-token")).toThrow(/not a JWT/);
  });
});

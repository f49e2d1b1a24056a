// The claims token is a standard HS256 JWT: platform/claims.ts signs and checks it with node:crypto
// (no WebCrypto job per request), and a standard library (jose) must agree with it both ways, so
// nothing about the format changed when jose left the hot path. Each refusal keeps its reason.
import { describe, expect, it } from "vitest";
import { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader } from "jose";
import {
  CLAIMS_TTL_SECONDS,
  InternalAuthError,
  audienceFor,
  bodyHash,
  signClaims,
  verifyClaims,
  type Claims,
} from "../../platform/claims.ts";

const SECRET = "a-test-secret-of-at-least-32-characters!!";
const OTHER = "another-test-secret-of-at-least-32-chars!";
const key = new TextEncoder().encode(SECRET);
const ADMIN: Claims = {
  sub: "council-admin-1",
  role: "partner-admin",
  partner: "council",
  scopes: ["professional", "admin:council"],
};
const BODY = JSON.stringify({ query: '{ service(id: "council:1") { id } }' });
const bound = { audience: "council", body: BODY };

/** A token made by jose the way the gateway made them before, with overrides. */
async function joseToken(
  payload: Record<string, unknown> = {},
  opts: { alg?: string; secret?: Uint8Array; exp?: number | string; aud?: string } = {},
) {
  return new SignJWT({
    role: ADMIN.role,
    partner: ADMIN.partner,
    scopes: ADMIN.scopes,
    bh: bodyHash(BODY),
    ...payload,
  })
    .setProtectedHeader({ alg: opts.alg ?? "HS256" })
    .setSubject(ADMIN.sub)
    .setIssuer("wayfinder-gateway")
    .setAudience(opts.aud ?? audienceFor("council"))
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "15s")
    .sign(opts.secret ?? key);
}

async function refusal(token: string, binding = bound, secret = SECRET): Promise<string> {
  try {
    await verifyClaims(token, secret, binding);
  } catch (err) {
    expect(err).toBeInstanceOf(InternalAuthError);
    return (err as Error).message;
  }
  throw new Error("the token was accepted");
}

describe("claims token format", () => {
  it("is a JWT that jose verifies, carrying the claims, audience, body hash and a 15 s life", async () => {
    const token = await signClaims(ADMIN, SECRET, bound);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256" });
    const { payload } = await jwtVerify(token, key, {
      issuer: "wayfinder-gateway",
      audience: audienceFor("council"),
      algorithms: ["HS256"],
    });
    expect(payload).toMatchObject({
      sub: ADMIN.sub,
      role: "partner-admin",
      partner: "council",
      scopes: ["professional", "admin:council"],
      bh: bodyHash(BODY),
    });
    expect(payload.exp! - payload.iat!).toBe(CLAIMS_TTL_SECONDS);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it("accepts what jose signs and round-trips its own tokens", async () => {
    expect(await verifyClaims(await joseToken(), SECRET, bound)).toEqual(ADMIN);
    expect(await verifyClaims(await signClaims(ADMIN, SECRET, bound), SECRET, bound)).toEqual(
      ADMIN,
    );
  });

  it("refuses another body, another audience, another secret, expiry and tampering, with the reason", async () => {
    const token = await signClaims(ADMIN, SECRET, bound);
    expect(await refusal(token, { audience: "council", body: "{}" })).toMatch(
      /signed for another request/,
    );
    expect(await refusal(token, { audience: "charity", body: BODY })).toBe(
      "wrong audience for x-wayfinder-claims",
    );
    expect(await refusal(token, bound, OTHER)).toBe("invalid x-wayfinder-claims");
    expect(await refusal(await signClaims(ADMIN, SECRET, bound, -1))).toBe(
      "expired x-wayfinder-claims",
    );
    expect(await refusal(await joseToken({}, { exp: Math.floor(Date.now() / 1000) - 1 }))).toBe(
      "expired x-wayfinder-claims",
    );
    // The payload edited to claim another role, the signature left as it was.
    const [h, , s] = token.split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), role: "service", scopes: ["service:sync"] }),
    ).toString("base64url");
    expect(await refusal(`${h}.${forged}.${s}`)).toBe("invalid x-wayfinder-claims");
    expect(await refusal(`${token}x`)).toBe("invalid x-wayfinder-claims");
    expect(await refusal("not.a.jwt")).toBe("invalid x-wayfinder-claims");
    expect(await refusal(token.split(".").slice(0, 2).join("."))).toBe(
      "invalid x-wayfinder-claims",
    );
  });

  it("accepts only HS256: an unsigned token or another algorithm is refused", async () => {
    const payload = decodeJwt(await signClaims(ADMIN, SECRET, bound));
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    expect(await refusal(`${part({ alg: "none" })}.${part(payload)}.`)).toBe(
      "invalid x-wayfinder-claims",
    );
    expect(await refusal(await joseToken({}, { alg: "HS512" }))).toBe("invalid x-wayfinder-claims");
  });

  it("refuses an unknown role or partner even when properly signed", async () => {
    expect(await refusal(await joseToken({ role: "root" }))).toBe("unknown role");
    expect(await refusal(await joseToken({ partner: "acme" }))).toBe("unknown partner");
  });

  it("needs a real secret to sign or check", async () => {
    await expect(signClaims(ADMIN, "short", bound)).rejects.toThrow(/at least 32/);
    await expect(verifyClaims("a.b.c", "", bound)).rejects.toThrow(/at least 32/);
    await expect(verifyClaims(undefined, SECRET, bound)).rejects.toThrow(/missing/);
  });
});

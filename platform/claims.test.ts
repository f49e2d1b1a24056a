// The claims header is signed and checked with node:crypto's HMAC (issue 14: jose over WebCrypto
// cost more per request than it should). It must stay the standard HS256 JWS jose makes and
// checks, and refuse everything jose's jwtVerify refused.
import { SignJWT, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  CLAIMS_TTL_SECONDS,
  PUBLIC_CLAIMS,
  audienceFor,
  bodyHash,
  signClaims,
  verifyClaims,
  type Claims,
} from "./claims.ts";

const SECRET = "claims-test-secret-0123456789-abcdefghij";
const key = new TextEncoder().encode(SECRET);
const BINDING = { audience: "council", body: '{"query":"{ x }"}' };
const PROFESSIONAL: Claims = {
  sub: "gp-1",
  role: "professional",
  partner: null,
  scopes: ["professional"],
};

/** A token made by jose the way signClaims made it before, with overrides. */
function joseToken(
  payload: Record<string, unknown> = {},
  opts: { audience?: string; issuer?: string; exp?: number | string; alg?: string } = {},
) {
  return new SignJWT({
    role: "public",
    partner: null,
    scopes: [],
    bh: bodyHash(BINDING.body),
    ...payload,
  })
    .setProtectedHeader({ alg: opts.alg ?? "HS256" })
    .setSubject("anonymous")
    .setIssuer(opts.issuer ?? "wayfinder-gateway")
    .setAudience(opts.audience ?? audienceFor("council"))
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "15s")
    .sign(key);
}

describe("claims tokens", () => {
  it("are HS256 JWS tokens that jose verifies, with the claims, audience and lifetime", async () => {
    const token = await signClaims(PROFESSIONAL, SECRET, BINDING);
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      issuer: "wayfinder-gateway",
      audience: audienceFor("council"),
      algorithms: ["HS256"],
    });
    expect(protectedHeader).toEqual({ alg: "HS256" });
    expect(payload).toMatchObject({
      sub: "gp-1",
      role: "professional",
      partner: null,
      scopes: ["professional"],
      bh: bodyHash(BINDING.body),
    });
    expect(payload.exp! - payload.iat!).toBe(CLAIMS_TTL_SECONDS);
  });

  it("verifies a token jose signed, and round-trips its own", async () => {
    expect(await verifyClaims(await joseToken(), SECRET, BINDING)).toEqual(PUBLIC_CLAIMS);
    expect(
      await verifyClaims(await signClaims(PROFESSIONAL, SECRET, BINDING), SECRET, BINDING),
    ).toEqual(PROFESSIONAL);
  });

  it("refuses another audience, another body, another secret, an expired or tampered token", async () => {
    const token = await signClaims(PUBLIC_CLAIMS, SECRET, BINDING);
    await expect(verifyClaims(token, SECRET, { ...BINDING, audience: "charity" })).rejects.toThrow(
      "wrong audience for x-wayfinder-claims",
    );
    await expect(verifyClaims(token, SECRET, { ...BINDING, body: "{}" })).rejects.toThrow(
      "signed for another request",
    );
    await expect(verifyClaims(token, `${SECRET}-other`, BINDING)).rejects.toThrow(
      "invalid x-wayfinder-claims",
    );
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = `${s.slice(0, -2)}${s.endsWith("AA") ? "BB" : "AA"}`;
    await expect(verifyClaims(`${h}.${p}.${flipped}`, SECRET, BINDING)).rejects.toThrow(
      "invalid x-wayfinder-claims",
    );
    const expired = await joseToken({}, { exp: Math.floor(Date.now() / 1000) - 1 });
    await expect(verifyClaims(expired, SECRET, BINDING)).rejects.toThrow(
      "expired x-wayfinder-claims",
    );
  });

  it("refuses another issuer, another algorithm, no signature and garbage", async () => {
    await expect(
      verifyClaims(await joseToken({}, { issuer: "someone" }), SECRET, BINDING),
    ).rejects.toThrow("invalid x-wayfinder-claims");
    await expect(
      verifyClaims(await joseToken({}, { alg: "HS512" }), SECRET, BINDING),
    ).rejects.toThrow("invalid x-wayfinder-claims");
    const [, p] = (await joseToken()).split(".");
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${p}.`;
    await expect(verifyClaims(none, SECRET, BINDING)).rejects.toThrow("invalid x-wayfinder-claims");
    await expect(verifyClaims("a.b.c", SECRET, BINDING)).rejects.toThrow(
      "invalid x-wayfinder-claims",
    );
    await expect(verifyClaims(undefined, SECRET, BINDING)).rejects.toThrow("missing");
  });

  it("refuses an unknown role or partner even when correctly signed", async () => {
    await expect(verifyClaims(await joseToken({ role: "root" }), SECRET, BINDING)).rejects.toThrow(
      "unknown role",
    );
    await expect(
      verifyClaims(await joseToken({ partner: "elsewhere" }), SECRET, BINDING),
    ).rejects.toThrow("unknown partner");
  });
});

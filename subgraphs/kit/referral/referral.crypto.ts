// Encryption at rest for a referral's personal data: AES-256-GCM (Node's crypto) with the key from
// REFERRAL_ENCRYPTION_KEY. Each value gets a fresh 96-bit IV, and the referral's id is bound in as
// additional authenticated data, so a sealed value copied onto another referral does not open.
// Stored as text "v1.<iv>.<tag>.<ciphertext>" (base64url) so PGlite and PostgreSQL hold it alike.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export const REFERRAL_KEY_BYTES = 32;

export class ReferralCryptoError extends Error {
  override name = "ReferralCryptoError";
}

export interface ReferralCipher {
  seal(value: unknown, boundTo: string): string;
  open<T = unknown>(sealed: string, boundTo: string): T;
}

export function createReferralCipher(key: Buffer): ReferralCipher {
  // No default below config: a missing or short key is a deployment mistake, refused loudly.
  if (!Buffer.isBuffer(key) || key.length !== REFERRAL_KEY_BYTES) {
    throw new ReferralCryptoError(
      `the referral encryption key must be ${REFERRAL_KEY_BYTES} bytes`,
    );
  }
  return {
    seal(value, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(boundTo, "utf8"));
      const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        "v1",
        iv.toString("base64url"),
        tag.toString("base64url"),
        body.toString("base64url"),
      ].join(".");
    },
    open<T>(sealed: string, boundTo: string): T {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined)
        throw new ReferralCryptoError("not a sealed referral value");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(boundTo, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        const text = Buffer.concat([
          decipher.update(Buffer.from(body, "base64url")),
          decipher.final(),
        ]).toString("utf8");
        return JSON.parse(text) as T;
      } catch {
        // Wrong key, tampered value, or a value sealed for another referral: never the plaintext.
        throw new ReferralCryptoError(
          "a sealed referral value could not be opened (wrong key or altered data)",
        );
      }
    },
  };
}

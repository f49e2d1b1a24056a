// A referral's personal data at rest and in transit: the owner partner's raw tables hold no name,
// date of birth or postcode in clear (PGlite and PostgreSQL), a wrong key opens nothing, and the
// child's details reach neither the directory's search index, the change feed nor any log line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { startTestStack, type DbKind, type GqlResult } from "./helpers/stack.ts";
import { hasPostgres } from "./helpers/postgres.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { setLogSink } from "../platform/log.ts";
import { CLAIMS_HEADER, SYNC_CLAIMS, signClaims } from "../platform/claims.ts";
import { DEV_INTERNAL_SECRET, DEV_REFERRAL_KEY } from "../platform/config.ts";
import { createReferralCipher } from "../subgraphs/kit/referral/referral.crypto.ts";
import { bornYearsAgo, referralInput } from "./helpers/referrals.ts";

const CHILD = { name: "Persephone Wrexham-Dunstable", postcode: "NR2 4AB" };

for (const kind of ["pglite", "postgres"] as DbKind[]) {
  describe.skipIf(kind === "postgres" && !hasPostgres)(`referral privacy (${kind})`, () => {
    let stack: Awaited<ReturnType<typeof startTestStack>>;
    let professional: string;
    let admin: string;
    const logLines: string[] = [];
    let restoreLogs: () => void;

    beforeAll(async () => {
      stack = await startTestStack(kind);
      professional = await mintDevToken({ role: "professional", sub: "privacy@school.example" });
      admin = await mintDevToken({
        role: "partner-admin",
        partner: "council",
        sub: "privacy-admin@norfolk.example",
      });
      restoreLogs = setLogSink((line) => logLines.push(line), "debug");
    });
    afterAll(async () => {
      restoreLogs?.();
      await stack?.close();
    });

    async function call(
      query: string,
      variables: Record<string, unknown>,
      token?: string,
    ): Promise<GqlResult> {
      const res = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GqlResult;
    }

    it("keeps no name, date of birth or postcode in clear in the owner's tables, and only the configured key opens them", async () => {
      const dateOfBirth = bornYearsAgo(new Date(), 6);
      const input = referralInput(new Date(), { child: { ...CHILD, dateOfBirth } });
      const res = await call(
        /* GraphQL */ `
          mutation C($input: ReferralInput!) {
            createReferral(input: $input) {
              id
              reference
              version
              child {
                name
                dateOfBirth
                postcode
              }
            }
          }
        `,
        { input },
        professional,
      );
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      const { id, reference, child } = res.data.createReferral;
      expect(child).toEqual({ ...CHILD, dateOfBirth });
      // A note with the child's name in it is sealed too.
      const moved = await call(
        /* GraphQL */ `
          mutation M($id: ID!) {
            a: updateReferralStatus(
              id: $id
              expectedVersion: 1
              input: { status: ACKNOWLEDGED, note: "Called Persephone's mother" }
            ) {
              version
            }
          }
        `,
        { id },
        admin,
      );
      expect(moved.errors, JSON.stringify(moved.errors)).toBeUndefined();

      const db = stack.dbs.council!;
      const raw = (
        await db.query<{ row: string }>(`SELECT r::text AS row FROM referral r WHERE id = $1`, [
          reference,
        ])
      )[0]!.row;
      const events = (
        await db.query<{ row: string }>(
          `SELECT e::text AS row FROM referral_event e WHERE referral_id = $1`,
          [reference],
        )
      ).map((r) => r.row);
      expect(events.length).toBe(2);
      for (const text of [raw, ...events]) {
        for (const secret of [
          "Persephone",
          "Wrexham",
          dateOfBirth,
          dateOfBirth.replaceAll("-", ""),
          "NR2 4AB",
          "NR24AB",
          "nr2 4ab",
          "withdrawn at school",
          "dan@school.example",
        ]) {
          expect(text, `${secret} in clear`).not.toContain(secret);
        }
      }
      // The sealed column opens with the stack's key (the development one here) and no other.
      const sealed = (
        await db.query<{ personal: string }>(`SELECT personal FROM referral WHERE id = $1`, [
          reference,
        ])
      )[0]!.personal;
      expect(sealed).toMatch(/^v1\./);
      expect(createReferralCipher(DEV_REFERRAL_KEY).open<any>(sealed, reference).child).toEqual({
        ...CHILD,
        dateOfBirth,
      });
      expect(() => createReferralCipher(randomBytes(32)).open(sealed, reference)).toThrow(
        /could not be opened/,
      );
      // Bound to its referral: copied onto another id, it does not open.
      expect(() => createReferralCipher(DEV_REFERRAL_KEY).open(sealed, "R-0000-0000")).toThrow(
        /could not be opened/,
      );
      // Only the council holds it.
      for (const p of ["charity", "health"] as const) {
        const n = (
          await stack.dbs[p]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM referral`)
        )[0]!.n;
        expect(n, p).toBe(0);
      }
    });

    it("puts nothing of the child into the search index, the change feed or a log line", async () => {
      expect(logLines.length).toBeGreaterThan(0);
      for (const line of logLines) {
        expect(line).not.toContain("Persephone");
        expect(line).not.toContain("NR2 4AB");
      }
      const search = await call(
        /* GraphQL */ `
          {
            searchServices(query: "Persephone Wrexham", first: 5) {
              totalCount
            }
          }
        `,
        {},
        professional,
      );
      expect(search.data.searchServices.totalCount).toBe(0);
      const feed = await fetch(new URL("/changes?since=0&limit=1000", stack.partners.council.url), {
        headers: {
          [CLAIMS_HEADER]: await signClaims(SYNC_CLAIMS, DEV_INTERNAL_SECRET, {
            audience: "council",
            body: "",
          }),
        },
      });
      expect(feed.status).toBe(200);
      const text = await feed.text();
      expect(text.length).toBeGreaterThan(100);
      expect(text).not.toContain("Persephone");
      // The directory's copies of services know nothing of referrals either.
      const docs = await stack.directory.backend.get(["council:fh-norwich"]);
      expect(JSON.stringify(docs)).not.toContain("Persephone");
    });
  });
}

describe("the referral cipher", () => {
  it("refuses a key that is not 32 bytes, and a tampered value", () => {
    expect(() => createReferralCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
    const cipher = createReferralCipher(randomBytes(32));
    const sealed = cipher.seal({ name: "x" }, "R-1");
    expect(cipher.open(sealed, "R-1")).toEqual({ name: "x" });
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() =>
      cipher.open([...parts.slice(0, 3), body.toString("base64url")].join("."), "R-1"),
    ).toThrow(/could not be opened/);
    // A fresh IV each time: the same value never seals to the same text.
    expect(cipher.seal({ name: "x" }, "R-1")).not.toBe(sealed);
  });
});

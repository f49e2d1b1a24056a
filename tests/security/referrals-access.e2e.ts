// Who may do what with referrals, checked through the gateway AND directly at each subgraph (the
// directory's GraphQL and every partner's POST /referrals, with claims signed as the gateway and the
// directory sign them): anonymous cannot create; a professional reads only their own referrals; a
// charity admin cannot see or move a council referral; nobody reads another partner's inbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type GqlResult } from "../helpers/stack.ts";
import { mintDevToken } from "../../gateway/auth.ts";
import {
  CLAIMS_HEADER,
  PUBLIC_CLAIMS,
  scopesFor,
  signClaims,
  type Claims,
} from "../../platform/claims.ts";
import { DEV_INTERNAL_SECRET } from "../../platform/config.ts";
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { REFERRALS_PATH, type ReferralOp } from "../../subgraphs/kit/referral/referral.wire.ts";
import { CREATE, INBOX, MINE, MOVE, bornYearsAgo, referralInput } from "../helpers/referrals.ts";

// Straight at the directory only its own fields resolve (a service's name is the partner's).
const INBOX_IDS = /* GraphQL */ `
  query I {
    referrals {
      totalCount
      edges {
        node {
          id
          status
        }
      }
    }
  }
`;
const MINE_IDS = /* GraphQL */ `
  query M {
    myReferrals {
      id
      status
    }
  }
`;
const READ = /* GraphQL */ `
  query R($id: ID!) {
    referral(id: $id) {
      id
      status
      child {
        name
      }
    }
  }
`;

const professional = (sub: string): Claims => ({
  sub,
  role: "professional",
  partner: null,
  scopes: scopesFor("professional", null),
});
const admin = (partner: PartnerId, sub = `admin@${partner}.example`): Claims => ({
  sub,
  role: "partner-admin",
  partner,
  scopes: scopesFor("partner-admin", partner),
});

describe("referral access", () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  const tokens = {} as Record<string, string>;
  /** One referral per partner, all sent by Dan. */
  const sent = {} as Record<PartnerId, { id: string; reference: string }>;
  const serviceOf: Record<
    string,
    { serviceId: string; needs: string[]; age: number; postcode: string }
  > = {
    council: {
      serviceId: "council:eh-norfolk",
      needs: ["SAFEGUARDING"],
      age: 8,
      postcode: "NR1 2DH",
    },
    charity: {
      serviceId: "charity:yc-bristol",
      needs: ["YOUNG_CARERS"],
      age: 12,
      postcode: "BS2 0JA",
    },
    health: {
      serviceId: "health:camhs-newport",
      needs: ["MENTAL_HEALTH"],
      age: 13,
      postcode: "NP10 8YN",
    },
  };

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
  const codeOf = (res: GqlResult) => res.errors?.[0]?.extensions?.code;

  /** Straight to the directory subgraph, with claims signed as the gateway signs them. */
  async function directory(
    query: string,
    variables: Record<string, unknown>,
    claims: Claims | null,
  ) {
    const body = JSON.stringify({ query, variables });
    const res = await fetch(stack.directory.http.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(claims
          ? {
              [CLAIMS_HEADER]: await signClaims(claims, DEV_INTERNAL_SECRET, {
                audience: "directory",
                body,
              }),
            }
          : {}),
      },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as GqlResult | null };
  }

  /** Straight to a partner's referral route; `audience`/`signedBody` forge a token meant elsewhere. */
  async function partner(
    p: PartnerId,
    op: ReferralOp,
    claims: Claims | null,
    forge: { audience?: string; signedBody?: string } = {},
  ) {
    const body = JSON.stringify(op);
    const token = claims
      ? await signClaims(claims, DEV_INTERNAL_SECRET, {
          audience: forge.audience ?? p,
          body: forge.signedBody ?? body,
        })
      : null;
    const res = await fetch(new URL(REFERRALS_PATH, stack.partners[p]!.url), {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { [CLAIMS_HEADER]: token } : {}) },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  }

  beforeAll(async () => {
    stack = await startTestStack("pglite");
    tokens.dan = await mintDevToken({ role: "professional", sub: "dan@school.example" });
    tokens.erin = await mintDevToken({ role: "professional", sub: "erin@gp.example" });
    for (const p of PARTNERS)
      tokens[`${p}Admin`] = await mintDevToken({
        role: "partner-admin",
        partner: p,
        sub: `admin@${p}.example`,
      });
    for (const p of PARTNERS) {
      const s = serviceOf[p]!;
      const input = referralInput(new Date(), {
        serviceId: s.serviceId,
        needs: s.needs,
        child: {
          name: `Child of ${p}`,
          dateOfBirth: bornYearsAgo(new Date(), s.age),
          postcode: s.postcode,
        },
      });
      const res = await call(CREATE, { input }, tokens.dan);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      sent[p] = { id: res.data.createReferral.id, reference: res.data.createReferral.reference };
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  const count = async (p: PartnerId) =>
    (await stack.dbs[p]!.query<{ n: number }>(`SELECT count(*)::int AS n FROM referral`))[0]!.n;

  describe("through the gateway", () => {
    it("anonymous cannot create, list or read, and nothing is stored", async () => {
      const before = await count("council");
      expect(codeOf(await call(CREATE, { input: referralInput(new Date()) }))).toBe(
        "UNAUTHENTICATED",
      );
      expect(codeOf(await call(MINE, {}))).toBe("UNAUTHENTICATED");
      expect(codeOf(await call(INBOX, {}))).toBe("UNAUTHENTICATED");
      expect(codeOf(await call(READ, { id: sent.council.id }))).toBe("UNAUTHENTICATED");
      expect(await count("council")).toBe(before);
    });

    it("a professional reads only their own referrals", async () => {
      const dans = (await call(MINE, {}, tokens.dan)).data.myReferrals.map((r: any) => r.id);
      expect(dans).toEqual(expect.arrayContaining(PARTNERS.map((p) => sent[p]!.id)));
      const erins = await call(MINE, {}, tokens.erin);
      expect(erins.errors).toBeUndefined();
      expect(erins.data.myReferrals).toEqual([]);
      for (const p of PARTNERS) {
        expect((await call(READ, { id: sent[p]!.id }, tokens.dan)).data.referral.child.name).toBe(
          `Child of ${p}`,
        );
        const other = await call(READ, { id: sent[p]!.id }, tokens.erin);
        expect(codeOf(other), p).toBe("NOT_FOUND");
        expect(JSON.stringify(other)).not.toContain(`Child of ${p}`);
      }
      // A professional has no inbox and moves nothing.
      expect(codeOf(await call(INBOX, {}, tokens.dan))).toBe("FORBIDDEN");
      expect(
        codeOf(
          await call(
            MOVE,
            { id: sent.council.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
            tokens.dan,
          ),
        ),
      ).toBe("FORBIDDEN");
    });

    it("a charity admin cannot see or move a council referral", async () => {
      const inbox = (await call(INBOX, {}, tokens.charityAdmin)).data.referrals;
      expect(inbox.edges.map((e: any) => e.node.id)).toEqual([sent.charity.id]);
      const read = await call(READ, { id: sent.council.id }, tokens.charityAdmin);
      expect(codeOf(read)).toBe("NOT_FOUND");
      expect(JSON.stringify(read)).not.toContain("Child of council");
      const move = await call(
        MOVE,
        { id: sent.council.id, expectedVersion: 1, input: { status: "ACKNOWLEDGED" } },
        tokens.charityAdmin,
      );
      expect(codeOf(move)).toBe("FORBIDDEN");
      const row = (
        await stack.dbs.council!.query<{ status: string; version: number }>(
          `SELECT status, version FROM referral WHERE id = $1`,
          [sent.council.reference],
        )
      )[0];
      expect(row).toEqual({ status: "NEW", version: 1 });
    });

    it("each partner admin's inbox holds only that partner's referrals", async () => {
      for (const p of PARTNERS) {
        const inbox = await call(INBOX, {}, tokens[`${p}Admin`]);
        expect(inbox.errors, p).toBeUndefined();
        expect(
          inbox.data.referrals.edges.map((e: any) => e.node.id),
          p,
        ).toEqual([sent[p]!.id]);
        expect(inbox.data.referrals.totalCount, p).toBe(1);
      }
    });
  });

  describe("directly at the directory subgraph", () => {
    it("refuses a request without the gateway's claims, and an anonymous create", async () => {
      const before = await count("council");
      expect((await directory(CREATE, { input: referralInput(new Date()) }, null)).status).toBe(
        401,
      );
      const anon = await directory(CREATE, { input: referralInput(new Date()) }, PUBLIC_CLAIMS);
      expect(anon.body?.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(await count("council")).toBe(before);
    });

    it("gives a professional only their own, and an admin only their own partner's inbox", async () => {
      const erin = await directory(MINE_IDS, {}, professional("erin@gp.example"));
      expect(erin.body?.data?.myReferrals).toEqual([]);
      const dan = await directory(MINE_IDS, {}, professional("dan@school.example"));
      expect(dan.body?.data?.myReferrals.map((r: any) => r.id).sort()).toEqual(
        PARTNERS.map((p) => sent[p]!.id).sort(),
      );
      for (const p of PARTNERS) {
        const inbox = await directory(INBOX_IDS, {}, admin(p));
        expect(
          inbox.body?.data?.referrals.edges.map((e: any) => e.node.id),
          p,
        ).toEqual([sent[p]!.id]);
      }
      // Claims saying "partner-admin" without the admin scope get no inbox.
      const noScope = await directory(
        INBOX_IDS,
        {},
        { ...admin("council"), scopes: ["professional"] },
      );
      expect(noScope.body?.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    });
  });

  describe("directly at each partner's referral route", () => {
    it("refuses missing, forged, misaddressed and rebound claims", async () => {
      for (const p of PARTNERS) {
        const op: ReferralOp = { op: "inbox", status: null, first: 10, after: null };
        expect((await partner(p, op, null)).status, p).toBe(401);
        const other = PARTNERS.find((x) => x !== p)!;
        expect(
          (await partner(p, op, admin(p), { audience: other })).status,
          `${p} token for ${other}`,
        ).toBe(401);
        expect(
          (await partner(p, op, admin(p), { signedBody: JSON.stringify({ op: "health" }) })).status,
          `${p} rebound`,
        ).toBe(401);
        const forged = await fetch(new URL(REFERRALS_PATH, stack.partners[p]!.url), {
          method: "POST",
          headers: {
            [CLAIMS_HEADER]: await signClaims(admin(p), "x".repeat(64), {
              audience: p,
              body: JSON.stringify(op),
            }),
          },
          body: JSON.stringify(op),
        });
        expect(forged.status, `${p} forged`).toBe(401);
      }
    });

    it("anonymous claims cannot create at any partner", async () => {
      for (const p of PARTNERS) {
        const s = serviceOf[p]!;
        const input = referralInput(new Date(), {
          serviceId: s.serviceId,
          needs: s.needs,
          child: {
            name: "Anon",
            dateOfBirth: bornYearsAgo(new Date(), s.age),
            postcode: s.postcode,
          },
        });
        const before = await count(p);
        const res = await partner(p, { op: "create", input }, PUBLIC_CLAIMS);
        expect(res.body.error.code, p).toBe("UNAUTHENTICATED");
        expect(await count(p), p).toBe(before);
      }
    });

    it("nobody reads or moves another partner's referrals, and a professional sees only their own", async () => {
      for (const owner of PARTNERS) {
        for (const p of PARTNERS) {
          const inbox = await partner(
            owner,
            { op: "inbox", status: null, first: 10, after: null },
            admin(p),
          );
          if (p === owner) {
            expect(inbox.body.ok, `${p} reads ${owner}`).toBe(true);
            expect(inbox.body.result.nodes.map((n: any) => n.id)).toEqual([sent[owner]!.id]);
            continue;
          }
          expect(inbox.body.error.code, `${p} admin reading ${owner}'s inbox`).toBe("FORBIDDEN");
          const read = await partner(owner, { op: "get", id: sent[owner]!.id }, admin(p));
          expect(read.body.error.code, `${p} admin reading a ${owner} referral`).toBe("NOT_FOUND");
          const move = await partner(
            owner,
            { op: "transition", id: sent[owner]!.id, expectedVersion: 1, to: "ACKNOWLEDGED" },
            admin(p),
          );
          expect(move.body.error.code, `${p} admin moving a ${owner} referral`).toBe("FORBIDDEN");
          expect(JSON.stringify([inbox.body, read.body, move.body])).not.toContain(
            `Child of ${owner}`,
          );
        }
        const erinGet = await partner(
          owner,
          { op: "get", id: sent[owner]!.id },
          professional("erin@gp.example"),
        );
        expect(erinGet.body.error.code).toBe("NOT_FOUND");
        const erinMine = await partner(
          owner,
          { op: "mine", first: 50 },
          professional("erin@gp.example"),
        );
        expect(erinMine.body.result).toEqual([]);
        const danMine = await partner(
          owner,
          { op: "mine", first: 50 },
          professional("dan@school.example"),
        );
        expect(danMine.body.result.map((r: any) => r.id)).toEqual([sent[owner]!.id]);
        const danInbox = await partner(
          owner,
          { op: "inbox", status: null, first: 10, after: null },
          professional("dan@school.example"),
        );
        expect(danInbox.body.error.code).toBe("FORBIDDEN");
      }
      // Still untouched.
      for (const p of PARTNERS) {
        const row = (
          await stack.dbs[p]!.query<{ version: number }>(
            `SELECT version FROM referral WHERE id = $1`,
            [sent[p]!.reference],
          )
        )[0];
        expect(row?.version, p).toBe(1);
      }
    });
  });
});

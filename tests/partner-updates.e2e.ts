// Partner admins updating their own services through the gateway, on the fixed dataset: new values
// and version + 1, an audit entry naming who changed what, search and routing catching up within
// seconds, access by role, optimistic concurrency (a race, a stale version), bad input. The data
// layer runs on PGlite and, when one is reachable, on PostgreSQL, where the race is a real one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack, type DbKind, type GqlResult } from "./helpers/stack.ts";
import { hasPostgres } from "./helpers/postgres.ts";
import { BRISTOL } from "./fixtures/dataset.ts";
import { mintDevToken } from "../gateway/auth.ts";

const SERVICE_FIELDS = /* GraphQL */ `
  id version status email url
  capacity { acceptingReferrals typicalWaitWeeks updatedAt }
  contacts { name title phone email }
`;

const UPDATE_COUNCIL = /* GraphQL */ `
  mutation Update($id: ID!, $expectedVersion: Int!, $input: ServiceUpdateInput!) {
    updateCouncilService(id: $id, expectedVersion: $expectedVersion, input: $input) { ${SERVICE_FIELDS} }
  }
`;

const UPDATE_CHARITY = /* GraphQL */ `
  mutation Update($id: ID!, $expectedVersion: Int!, $input: ServiceUpdateInput!) {
    updateCharityService(id: $id, expectedVersion: $expectedVersion, input: $input) {
      id
      version
    }
  }
`;

const COUNCIL_AUDIT = /* GraphQL */ `
  query Audit($id: ID!) {
    councilServiceAudit(id: $id) {
      id
      serviceId
      actor
      actorPartner
      at
      versionFrom
      versionTo
      changes {
        field
        from
        to
      }
    }
  }
`;

const READ = /* GraphQL */ `
  query Read($id: ID!) { service(id: $id) { ${SERVICE_FIELDS} } }
`;

const SEARCH = /* GraphQL */ `
  query Search($query: String, $filter: ServiceFilter) {
    searchServices(query: $query, filter: $filter, first: 50) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const ROUTE = /* GraphQL */ `
  query Route($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
          }
        }
        gaps {
          kind
          serviceIds
        }
      }
    }
  }
`;

/** What the fixture says about a council service's editable fields (tests/fixtures/dataset.ts). */
const fixtureValues = (hsdsId: string, wait = 2) => ({
  status: "ACTIVE",
  capacity: { acceptingReferrals: true, typicalWaitWeeks: wait },
  email: `${hsdsId}@example.org.uk`,
  url: null,
  contacts: [{ name: "Reception", phone: "01603 000000" }],
});

for (const kind of ["pglite", "postgres"] as DbKind[]) {
  describe.skipIf(kind === "postgres" && !hasPostgres)(`partner updates (${kind})`, () => {
    let stack: Awaited<ReturnType<typeof startTestStack>>;
    const tokens: Record<"councilAdmin" | "charityAdmin" | "healthAdmin" | "professional", string> =
      {} as never;

    beforeAll(async () => {
      stack = await startTestStack(kind);
      tokens.councilAdmin = await mintDevToken({
        role: "partner-admin",
        partner: "council",
        sub: "alice@norfolk.example",
      });
      tokens.charityAdmin = await mintDevToken({
        role: "partner-admin",
        partner: "charity",
        sub: "bob@barnardos.example",
      });
      tokens.healthAdmin = await mintDevToken({
        role: "partner-admin",
        partner: "health",
        sub: "carol@nhs.example",
      });
      tokens.professional = await mintDevToken({ role: "professional", sub: "dan@school.example" });
    });
    afterAll(async () => {
      await stack?.close();
    });

    /** POSTs to the gateway, with a bearer token when given. */
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

    async function read(id: string) {
      const res = await call(READ, { id });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.service;
    }

    async function update(
      id: string,
      expectedVersion: number,
      input: Record<string, unknown>,
      token = tokens.councilAdmin,
    ) {
      return call(UPDATE_COUNCIL, { id, expectedVersion, input }, token);
    }

    async function audit(id: string) {
      const res = await call(COUNCIL_AUDIT, { id }, tokens.councilAdmin);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.councilServiceAudit as any[];
    }

    /** Puts a council service's editable fields back as the fixture has them. */
    async function restore(id: string, values = fixtureValues(id.split(":")[1]!)) {
      const { version } = await read(id);
      const res = await update(id, version, values);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    }

    const searchIds = async (variables: Record<string, unknown>) => {
      const res = await call(SEARCH, variables);
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.searchServices.edges.map((e: any) => e.node.id) as string[];
    };

    const youthJustice = async () => {
      const res = await call(ROUTE, {
        profile: { age: 12, needs: ["YOUTH_JUSTICE"], localAuthority: BRISTOL },
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.routeChild.needs[0];
    };

    it("lets a council admin update capacity and contacts: new values, version + 1, one audit entry, routing within seconds", async () => {
      const id = "council:yj-bristol";
      const before = await read(id);
      expect(before).toMatchObject(fixtureValues("yj-bristol"));
      expect((await youthJustice()).status).toBe("COVERED");
      const auditBefore = await audit(id);

      const startedAt = Date.now();
      const res = await update(id, before.version, {
        status: "ACTIVE", // unchanged, so not audited
        capacity: { acceptingReferrals: false, typicalWaitWeeks: 6 },
        email: "  yjs@bristol.example.gov.uk ",
        url: "https://www.bristol.example.gov.uk/youth-justice",
        contacts: [
          {
            name: "Duty officer",
            phone: "0117 922 3000",
            email: "yjs-duty@bristol.example.gov.uk",
          },
          { name: "Out of hours", phone: "+44 117 922 3001 ext. 4" },
        ],
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      const after = res.data.updateCouncilService;
      expect(after).toMatchObject({
        id,
        version: before.version + 1,
        status: "ACTIVE",
        email: "yjs@bristol.example.gov.uk",
        url: "https://www.bristol.example.gov.uk/youth-justice",
        capacity: { acceptingReferrals: false, typicalWaitWeeks: 6 },
        contacts: [
          {
            name: "Duty officer",
            title: null,
            phone: "0117 922 3000",
            email: "yjs-duty@bristol.example.gov.uk",
          },
          { name: "Out of hours", title: null, phone: "+44 117 922 3001 ext. 4", email: null },
        ],
      });
      expect(Date.parse(after.capacity.updatedAt)).toBeGreaterThanOrEqual(startedAt - 1000);
      // A fresh read (another request, other loaders) agrees.
      expect(await read(id)).toEqual(after);

      const entries = await audit(id);
      expect(entries).toHaveLength(auditBefore.length + 1);
      expect(entries[0]).toMatchObject({
        serviceId: id,
        actor: "alice@norfolk.example",
        actorPartner: "COUNCIL",
        versionFrom: before.version,
        versionTo: before.version + 1,
      });
      expect(Math.abs(Date.parse(entries[0].at) - Date.now())).toBeLessThan(60_000);
      expect(entries[0].changes).toEqual([
        { field: "capacity.acceptingReferrals", from: true, to: false },
        { field: "capacity.typicalWaitWeeks", from: 2, to: 6 },
        { field: "email", from: "yj-bristol@example.org.uk", to: "yjs@bristol.example.gov.uk" },
        { field: "url", from: null, to: "https://www.bristol.example.gov.uk/youth-justice" },
        {
          field: "contacts",
          from: [{ name: "Reception", title: null, phone: "01603 000000", email: null }],
          to: [
            {
              name: "Duty officer",
              title: null,
              phone: "0117 922 3000",
              email: "yjs-duty@bristol.example.gov.uk",
            },
            { name: "Out of hours", title: null, phone: "+44 117 922 3001 ext. 4", email: null },
          ],
        },
      ]);

      // The directory picks the change up from the partner's feed: the only youth justice service
      // in Bristol is no longer taking referrals.
      await eventually(async () => {
        const need = await youthJustice();
        expect(need.status).toBe("GAP");
        expect(need.gaps[0]).toMatchObject({ kind: "NO_CAPACITY", serviceIds: [id] });
      });

      await restore(id);
      expect(await read(id)).toMatchObject(fixtureValues("yj-bristol"));
      await eventually(async () => expect((await youthJustice()).status).toBe("COVERED"));
    });

    it("drops a closed service from default search within seconds, and brings it back on reopening", async () => {
      const id = "council:eh-norfolk";
      expect(await searchIds({ query: "early help team" })).toContain(id);
      const { version } = await read(id);
      const res = await update(id, version, { status: "TEMPORARILY_CLOSED" });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(res.data.updateCouncilService).toMatchObject({
        status: "TEMPORARILY_CLOSED",
        version: version + 1,
      });
      expect((await audit(id))[0].changes).toEqual([
        { field: "status", from: "ACTIVE", to: "TEMPORARILY_CLOSED" },
      ]);
      await eventually(async () => {
        expect(await searchIds({ query: "early help team" })).not.toContain(id);
        expect(
          await searchIds({
            query: "early help team",
            filter: { statuses: ["TEMPORARILY_CLOSED"] },
          }),
        ).toEqual([id]);
      });

      const reopened = await update(id, version + 1, { status: "ACTIVE" });
      expect(reopened.errors, JSON.stringify(reopened.errors)).toBeUndefined();
      await eventually(async () =>
        expect(await searchIds({ query: "early help team" })).toContain(id),
      );
    });

    it("replaces only public contacts: professional-only contact routes stay as they were", async () => {
      const id = "council:fh-norwich";
      const professionalRows = () =>
        stack.dbs.council.query(
          `SELECT id, name, phone FROM contact WHERE service_id = 'fh-norwich' AND professional_only ORDER BY id`,
        );
      const proBefore = await professionalRows();
      expect(proBefore).toHaveLength(1);
      const { version } = await read(id);
      const res = await update(id, version, { contacts: [] });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(res.data.updateCouncilService.contacts).toEqual([]);
      expect(await professionalRows()).toEqual(proBefore);
      await restore(id);
      expect((await read(id)).contacts).toEqual([
        { name: "Reception", title: null, phone: "01603 000000", email: null },
      ]);
      expect(await professionalRows()).toEqual(proBefore);
    });

    it("writes nothing, and audits nothing, when every given value is already current", async () => {
      const id = "council:send-newport";
      const before = await read(id);
      const auditBefore = await audit(id);
      const res = await update(id, before.version, {
        status: "ACTIVE",
        capacity: { typicalWaitWeeks: 2 },
        email: before.email,
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(res.data.updateCouncilService).toEqual(before);
      expect(await audit(id)).toEqual(auditBefore);
    });

    describe("access", () => {
      const id = "council:fh-norwich";
      const input = { capacity: { acceptingReferrals: false } };

      it("refuses the anonymous public (UNAUTHENTICATED) and professionals (FORBIDDEN)", async () => {
        const { version } = await read(id);
        const anonymous = await update(id, version, input, "");
        expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
        expect(anonymous.data?.updateCouncilService ?? null).toBeNull();
        const professional = await update(id, version, input, tokens.professional);
        expect(professional.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect((await call(COUNCIL_AUDIT, { id })).errors?.[0]?.extensions?.code).toBe(
          "UNAUTHENTICATED",
        );
        expect(
          (await call(COUNCIL_AUDIT, { id }, tokens.professional)).errors?.[0]?.extensions?.code,
        ).toBe("FORBIDDEN");
        expect((await read(id)).version).toBe(version);
      });

      it("refuses another partner's admin: FORBIDDEN on the council mutation, BAD_USER_INPUT on their own", async () => {
        const { version } = await read(id);
        const charity = await update(id, version, input, tokens.charityAdmin);
        expect(charity.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect(
          (await call(COUNCIL_AUDIT, { id }, tokens.healthAdmin)).errors?.[0]?.extensions?.code,
        ).toBe("FORBIDDEN");
        // The charity's own mutation only takes charity ids: a council id never reaches the council.
        const viaCharity = await call(
          UPDATE_CHARITY,
          { id, expectedVersion: version, input },
          tokens.charityAdmin,
        );
        expect(viaCharity.errors?.[0]?.extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          field: "id",
        });
        expect(viaCharity.errors?.[0]?.message).toContain('"charity:<id>"');
        // A council admin cannot use the charity's mutation either.
        const councilOnCharity = await call(
          UPDATE_CHARITY,
          { id: "charity:yc-bristol", expectedVersion: 1, input },
          tokens.councilAdmin,
        );
        expect(councilOnCharity.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
        expect((await read(id)).version).toBe(version);
        expect((await read(id)).capacity.acceptingReferrals).toBe(true);
      });

      it("lets a charity admin update their own service", async () => {
        const { version } = await read("charity:yc-bristol");
        const res = await call(
          UPDATE_CHARITY,
          {
            id: "charity:yc-bristol",
            expectedVersion: version,
            input: { capacity: { typicalWaitWeeks: 3 } },
          },
          tokens.charityAdmin,
        );
        expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
        expect(res.data.updateCharityService).toEqual({
          id: "charity:yc-bristol",
          version: version + 1,
        });
        const back = await call(
          UPDATE_CHARITY,
          {
            id: "charity:yc-bristol",
            expectedVersion: version + 1,
            input: { capacity: { typicalWaitWeeks: 2 } },
          },
          tokens.charityAdmin,
        );
        expect(back.errors, JSON.stringify(back.errors)).toBeUndefined();
      });
    });

    describe("optimistic concurrency", () => {
      it("lets exactly one of two racing updates on the same version win; the other gets CONFLICT", async () => {
        const id = "council:send-newport";
        const before = await read(id);
        const auditBefore = await audit(id);
        const results = await Promise.all(
          [5, 9].map((weeks) =>
            update(id, before.version, { capacity: { typicalWaitWeeks: weeks } }),
          ),
        );
        const won = results.filter((r) => !r.errors);
        const lost = results.filter((r) => r.errors);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.errors![0]!.extensions).toMatchObject({
          code: "CONFLICT",
          currentVersion: before.version + 1,
        });
        expect(lost[0]!.data?.updateCouncilService ?? null).toBeNull();
        const winner = won[0]!.data.updateCouncilService;
        expect(winner.version).toBe(before.version + 1);
        // The loser overwrote nothing: the stored wait is the winner's.
        expect((await read(id)).capacity.typicalWaitWeeks).toBe(winner.capacity.typicalWaitWeeks);
        const entries = await audit(id);
        expect(entries).toHaveLength(auditBefore.length + 1);
        expect(entries[0].changes).toEqual([
          { field: "capacity.typicalWaitWeeks", from: 2, to: winner.capacity.typicalWaitWeeks },
        ]);
        await restore(id);
      });

      it("answers a stale expectedVersion with CONFLICT and the current version, writing nothing", async () => {
        const id = "council:send-newport";
        const { version } = await read(id);
        expect(version).toBeGreaterThan(1);
        const auditBefore = await audit(id);
        const res = await update(id, version - 1, { status: "DEFUNCT" });
        expect(res.errors?.[0]?.extensions).toMatchObject({
          code: "CONFLICT",
          currentVersion: version,
          field: "expectedVersion",
        });
        expect(res.errors?.[0]?.message).toContain(`version ${version}`);
        expect(await read(id)).toMatchObject({ version, status: "ACTIVE" });
        expect(await audit(id)).toEqual(auditBefore);
      });
    });

    describe("bad input", () => {
      it("answers BAD_USER_INPUT naming the field at fault, and writes nothing", async () => {
        const id = "council:fh-norwich";
        const { version } = await read(id);
        const cases: [string, number, Record<string, unknown>, string][] = [
          [id, version, {}, "input"],
          [id, version, { capacity: {} }, "input.capacity"],
          [id, version, { capacity: null }, "input.capacity"],
          [id, version, { status: null }, "input.status"],
          [
            id,
            version,
            { capacity: { acceptingReferrals: null } },
            "input.capacity.acceptingReferrals",
          ],
          [id, version, { capacity: { typicalWaitWeeks: 105 } }, "input.capacity.typicalWaitWeeks"],
          [id, version, { capacity: { typicalWaitWeeks: -1 } }, "input.capacity.typicalWaitWeeks"],
          [id, version, { email: "not-an-email" }, "input.email"],
          [id, version, { email: "a@b" }, "input.email"],
          [id, version, { url: "javascript:alert(1)" }, "input.url"],
          [id, version, { url: "www.example.org" }, "input.url"],
          [id, version, { contacts: null }, "input.contacts"],
          [id, version, { contacts: [{ name: "Nobody" }] }, "input.contacts[0]"],
          [
            id,
            version,
            { contacts: [{ phone: "01603 000000" }, { phone: "call us" }] },
            "input.contacts[1].phone",
          ],
          [
            id,
            version,
            { contacts: [{ email: "x@y.example", name: "a\u0000b" }] },
            "input.contacts[0].name",
          ],
          [
            id,
            version,
            { contacts: Array.from({ length: 21 }, () => ({ phone: "01603 000000" })) },
            "input.contacts",
          ],
          ["charity:yc-bristol", 1, { status: "ACTIVE" }, "id"],
          ["fh-norwich", version, { status: "ACTIVE" }, "id"],
          [id, 0, { status: "ACTIVE" }, "expectedVersion"],
        ];
        for (const [sid, v, input, field] of cases) {
          const res = await update(sid, v, input);
          const what = JSON.stringify({ sid, v, input });
          expect(res.errors?.[0]?.extensions?.code, what).toBe("BAD_USER_INPUT");
          expect(res.errors?.[0]?.extensions?.field, what).toBe(field);
          expect(res.errors?.[0]?.message, what).toContain(field);
        }
        // Not an integer: GraphQL itself refuses it before any resolver runs.
        const fraction = await update(id, version, { capacity: { typicalWaitWeeks: 2.5 } });
        expect(fraction.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(fraction.errors?.[0]?.message).toContain("typicalWaitWeeks");
        expect((await read(id)).version).toBe(version);
      });

      it("answers NOT_FOUND for unknown and deleted services", async () => {
        // A tombstone, as the importer leaves one for a service a partner stopped publishing.
        await stack.dbs.council.query(
          `INSERT INTO service (id, organization_id, name, status, deleted_at) VALUES ('closed-2020', 'norfolk-cc', 'Closed in 2020', 'defunct', now())`,
        );
        for (const id of ["council:no-such-service", "council:closed-2020"]) {
          const res = await update(id, 1, { status: "ACTIVE" });
          expect(res.errors?.[0]?.extensions?.code, id).toBe("NOT_FOUND");
        }
        expect(
          (await call(COUNCIL_AUDIT, { id: "council:no-such-service" }, tokens.councilAdmin))
            .errors?.[0]?.extensions?.code,
        ).toBe("NOT_FOUND");
        // A deleted service's history stays readable.
        expect(await audit("council:closed-2020")).toEqual([]);
      });
    });
  });
}

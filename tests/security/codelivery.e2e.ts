// Attack 5: co-delivery without consent. The charity proposes (its import, or its admin through
// the gateway); the council, which owns the service, accepts the exact content or removes it. Only
// accepted co-deliveries are public, and a later change by the charity needs accepting again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestStack } from "../helpers/stack.ts";
import { mintDevToken } from "../../gateway/auth.ts";
import { importHsds } from "../../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../../subgraphs/kit/hsds/validate.ts";
import { DATASET } from "../fixtures/dataset.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let councilAdmin: string;
let charityAdmin: string;
let professional: string;
beforeAll(async () => {
  stack = await startTestStack("pglite");
  councilAdmin = await mintDevToken({
    role: "partner-admin",
    partner: "council",
    sub: "council-admin-3",
  });
  charityAdmin = await mintDevToken({
    role: "partner-admin",
    partner: "charity",
    sub: "charity-admin-4",
  });
  professional = await mintDevToken({ role: "professional", sub: "pro-1" });
});
afterAll(async () => {
  await stack?.close();
});

async function post(query: string, variables?: Record<string, unknown>, token?: string) {
  const res = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as {
    data?: any;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

const PUBLIC = /* GraphQL */ `
  {
    service(id: "council:fh-norwich") {
      ... on CouncilService {
        coDelivery {
          id
          role
          contactEmail
          organization {
            name
          }
        }
      }
    }
  }
`;
const PROPOSALS = /* GraphQL */ `
  {
    service(id: "council:fh-norwich") {
      ... on CouncilService {
        coDeliveryProposals {
          id
          role
          fingerprint
          accepted
        }
      }
    }
  }
`;
const publicCoDelivery = async () =>
  (await post(PUBLIC)).data.service.coDelivery as { id: string; role: string }[];

describe("attack 5: co-delivery without consent", () => {
  it("does not show a co-delivery the charity's import attached, until the council accepts it", async () => {
    // The shared fixture records the council's acceptance of cd-fh-norwich; without it, the
    // charity's import alone shows nothing.
    await stack.dbs.council.query(`DELETE FROM co_delivery_decision`);
    expect(await publicCoDelivery()).toEqual([]);
    const asCouncil = await post(PROPOSALS, {}, councilAdmin);
    expect(asCouncil.errors).toBeUndefined();
    expect(asCouncil.data.service.coDeliveryProposals).toEqual([
      expect.objectContaining({
        id: "cd-fh-norwich",
        role: "Family support workers",
        accepted: false,
      }),
    ]);
  });

  it("shows proposals to the two partners' admins only", async () => {
    expect((await post(PROPOSALS, {}, charityAdmin)).data.service.coDeliveryProposals).toHaveLength(
      1,
    );
    expect((await post(PROPOSALS)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await post(PROPOSALS, {}, professional)).errors?.[0]?.extensions?.code).toBe(
      "FORBIDDEN",
    );
  });

  it("lets the charity propose and the council accept, through the gateway; only the council can accept", async () => {
    const propose = await post(
      /* GraphQL */ `
        mutation {
          proposeCharityCoDelivery(
            serviceId: "council:fh-norwich"
            organizationId: "charity:barnardos"
            role: "Youth workers"
            staffShare: 0.25
            contactEmail: "youth@barnardos.example.org.uk"
          ) {
            id
            fingerprint
            accepted
          }
        }
      `,
      {},
      charityAdmin,
    );
    expect(propose.errors).toBeUndefined();
    const { id, fingerprint, accepted } = propose.data.proposeCharityCoDelivery;
    expect(accepted).toBe(false);
    expect(
      (
        await post(
          `mutation { proposeCharityCoDelivery(serviceId: "council:fh-norwich", organizationId: "charity:barnardos", role: "x") { id } }`,
          {},
          councilAdmin,
        )
      ).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect(await publicCoDelivery()).toEqual([]);

    const accept = /* GraphQL */ `
      mutation ($id: ID!, $fp: String!) {
        acceptCouncilCoDelivery(
          serviceId: "council:fh-norwich"
          coDeliveryId: $id
          fingerprint: $fp
        ) {
          id
        }
      }
    `;
    expect(
      (await post(accept, { id, fp: fingerprint }, charityAdmin)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await post(accept, { id, fp: fingerprint })).errors?.[0]?.extensions?.code).toBe(
      "UNAUTHENTICATED",
    );
    expect(await publicCoDelivery()).toEqual([]);
    const ok = await post(accept, { id, fp: fingerprint }, councilAdmin);
    expect(ok.errors).toBeUndefined();
    expect(await publicCoDelivery()).toEqual([
      expect.objectContaining({
        id,
        role: "Youth workers",
        organization: { name: expect.any(String) },
      }),
    ]);

    // The charity changes the accepted content in its next import: it is a proposal again.
    const bundle = JSON.parse(JSON.stringify(DATASET.charity));
    bundle.co_deliveries = [
      {
        id,
        service_ref: "council:fh-norwich",
        organization_id: "barnardos",
        role: "Youth workers and anything we like",
        staff_share: 1,
        contact_email: "any@barnardos.example.org.uk",
      },
    ];
    await importHsds(stack.dbs.charity, validateHsds(bundle));
    expect(await publicCoDelivery()).toEqual([]);
    const again = (await post(PROPOSALS, {}, councilAdmin)).data.service.coDeliveryProposals.find(
      (p: any) => p.id === id,
    );
    expect(again.accepted).toBe(false);
    expect(again.fingerprint).not.toBe(fingerprint);

    // Accepted again, then removed by the council: gone, whatever the charity re-imports.
    await post(accept, { id, fp: again.fingerprint }, councilAdmin);
    await eventually(async () => expect((await publicCoDelivery()).map((c) => c.id)).toEqual([id]));
    const removed = await post(
      `mutation($id: ID!) { removeCouncilCoDelivery(serviceId: "council:fh-norwich", coDeliveryId: $id) { id } }`,
      { id },
      councilAdmin,
    );
    expect(removed.errors).toBeUndefined();
    await importHsds(stack.dbs.charity, validateHsds(bundle));
    expect(await publicCoDelivery()).toEqual([]);
  });
});

// The council's say over charities co-delivering its services: it accepts a proposal (the exact
// content it saw, by fingerprint) or removes it. The charity subgraph shows a co-delivery publicly
// only when its fingerprint is among acceptedCoDeliveries, which the gateway fetches from here.
import { Arg, Ctx, Directive, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import DataLoader from "dataloader";
import { GraphQLError } from "graphql";
import type { PartnerContext } from "../../kit/partner.types.ts";
import type { Queryable } from "../../kit/db/db.ts";
import { parseGlobalId, type ServiceModel } from "../../kit/service.map.ts";
import { CouncilService } from "../service/service.type.ts";

export interface ConsentContext extends PartnerContext {
  acceptedCoDeliveries: DataLoader<string, string[]>;
}

export function createConsentLoader(db: Queryable) {
  return new DataLoader<string, string[]>(async (ids) => {
    const rows = await db.query<{
      service_id: string;
      co_delivery_id: string;
      fingerprint: string;
    }>(
      `SELECT service_id, co_delivery_id, fingerprint FROM co_delivery_decision
       WHERE decision = 'accepted' AND service_id = ANY($1::text[]) ORDER BY co_delivery_id`,
      [ids],
    );
    return ids.map((id) =>
      rows.filter((r) => r.service_id === id).map((r) => `${r.co_delivery_id}@${r.fingerprint}`),
    );
  });
}

const ADMINS = '@requiresScopes(scopes: [["admin:council"]])';

@Resolver(() => CouncilService)
export class CouncilCoDeliveryConsentResolver {
  @Directive("@inaccessible")
  @FieldResolver(() => [String], {
    description:
      'Co-deliveries the council accepted, as "<co-delivery id>@<fingerprint>" (read by the charity subgraph).',
  })
  acceptedCoDeliveries(@Root() s: ServiceModel, @Ctx() ctx: ConsentContext) {
    return ctx.acceptedCoDeliveries.load(s.hsdsId);
  }

  @Directive(ADMINS)
  @Mutation(() => CouncilService, {
    name: "acceptCouncilCoDelivery",
    description:
      "Accepts a charity's proposal to co-deliver a council service (council admins only). Give the fingerprint shown in CouncilService.coDeliveryProposals: only that exact content becomes public; if the charity changes it, it needs accepting again.",
  })
  async accept(
    @Arg("serviceId", () => ID, { description: 'The council service, "council:<id>".' })
    serviceId: string,
    @Arg("coDeliveryId", () => ID, { description: "The proposal's id (CoDelivery.id)." })
    coDeliveryId: string,
    @Arg("fingerprint", () => String, {
      description: "The proposal's fingerprint (CoDelivery.fingerprint).",
    })
    fingerprint: string,
    @Ctx() ctx: ConsentContext,
  ) {
    if (!/^[0-9a-f]{16}$/.test(fingerprint))
      throw new GraphQLError("fingerprint: give CoDelivery.fingerprint as shown", {
        extensions: { code: "BAD_USER_INPUT", field: "fingerprint" },
      });
    return decide(ctx, serviceId, coDeliveryId, "accepted", fingerprint);
  }

  @Directive(ADMINS)
  @Mutation(() => CouncilService, {
    name: "removeCouncilCoDelivery",
    description:
      "Removes a charity's co-delivery from a council service (council admins only); it stays off until the council accepts it again.",
  })
  async remove(
    @Arg("serviceId", () => ID, { description: 'The council service, "council:<id>".' })
    serviceId: string,
    @Arg("coDeliveryId", () => ID, { description: "The co-delivery's id (CoDelivery.id)." })
    coDeliveryId: string,
    @Ctx() ctx: ConsentContext,
  ) {
    return decide(ctx, serviceId, coDeliveryId, "removed", null);
  }
}

async function decide(
  ctx: ConsentContext,
  serviceId: string,
  coDeliveryId: string,
  decision: "accepted" | "removed",
  fingerprint: string | null,
) {
  const parsed = parseGlobalId(serviceId);
  const service =
    parsed?.partner === "council" ? await ctx.loaders.service.load(parsed.hsdsId) : null;
  if (!service)
    throw new GraphQLError(`No council service with id ${JSON.stringify(serviceId)}`, {
      extensions: { code: "NOT_FOUND", field: "serviceId" },
    });
  await ctx.db.query(
    `INSERT INTO co_delivery_decision (service_id, co_delivery_id, fingerprint, decision, actor, actor_partner)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (service_id, co_delivery_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,
       decision = EXCLUDED.decision, actor = EXCLUDED.actor, actor_partner = EXCLUDED.actor_partner, at = now()`,
    [service.hsdsId, coDeliveryId, fingerprint, decision, ctx.claims.sub, ctx.claims.partner],
  );
  ctx.acceptedCoDeliveries.clear(service.hsdsId);
  return service;
}

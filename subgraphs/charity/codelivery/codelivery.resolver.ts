import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { PartnerContext } from "../../kit/partner.types.ts";
import { CharityOrganization } from "../organization/organization.type.ts";
import { CoDelivery, CouncilServiceCoDelivered } from "./codelivery.type.ts";
import type { createCoDeliveryLoader } from "./codelivery.loader.ts";

export interface CharityContext extends PartnerContext {
  coDelivery: ReturnType<typeof createCoDeliveryLoader>;
}

@Resolver(() => CouncilServiceCoDelivered)
export class CouncilServiceCoDeliveryResolver {
  @FieldResolver(() => [CoDelivery], {
    description: "Charities co-delivering this council service and their share of the staff; empty when the council delivers it alone.",
  })
  coDelivery(@Root() s: CouncilServiceCoDelivered, @Ctx() ctx: CharityContext) {
    return ctx.coDelivery.load(s.id);
  }
}

@Resolver(() => CoDelivery)
export class CoDeliveryResolver {
  @FieldResolver(() => CharityOrganization, { description: "The co-delivering charity." })
  organization(@Root() c: CoDelivery, @Ctx() ctx: CharityContext) {
    return ctx.loaders.organization.load(c.organizationId);
  }
}

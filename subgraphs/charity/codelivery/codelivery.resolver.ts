import { randomUUID } from "node:crypto";
import {
  Arg,
  Ctx,
  Directive,
  FieldResolver,
  Float,
  ID,
  Mutation,
  Resolver,
  Root,
} from "type-graphql";
import { GraphQLError } from "graphql";
import type { PartnerContext } from "../../kit/partner.types.ts";
import { EMAIL } from "../../kit/hsds/validate.ts";
import { parseGlobalId } from "../../kit/service.map.ts";
import { CharityOrganization } from "../organization/organization.type.ts";
import { CoDelivery, CouncilServiceCoDelivered } from "./codelivery.type.ts";
import type { createCoDeliveryLoader } from "./codelivery.loader.ts";
import { coDeliveryFingerprint } from "../../kit/codelivery.ts";

export interface CharityContext extends PartnerContext {
  coDelivery: ReturnType<typeof createCoDeliveryLoader>;
}

const badInput = (field: string, message: string) =>
  new GraphQLError(`${field}: ${message}`, { extensions: { code: "BAD_USER_INPUT", field } });

@Resolver(() => CouncilServiceCoDelivered)
export class CouncilServiceCoDeliveryResolver {
  // The accepted set comes from the council (the owner) through the gateway, which alone can call
  // this subgraph; a charity row without a matching acceptance is a proposal, never public.
  @Directive('@requires(fields: "acceptedCoDeliveries")')
  @FieldResolver(() => [CoDelivery], {
    description:
      "Charities co-delivering this council service and their share of the staff, as the council accepted them; empty when the council delivers it alone.",
  })
  async coDelivery(
    @Root() s: CouncilServiceCoDelivered,
    @Ctx() ctx: CharityContext,
  ): Promise<CoDelivery[]> {
    const accepted = new Set(s.acceptedCoDeliveries ?? []);
    return (await ctx.coDelivery.load(s.id))
      .filter((c) => accepted.has(`${c.id}@${c.fingerprint}`))
      .map((c) => ({ ...c, accepted: true }));
  }

  @Directive('@requiresScopes(scopes: [["admin:council"], ["admin:charity"]])')
  @Directive('@requires(fields: "acceptedCoDeliveries")')
  @FieldResolver(() => [CoDelivery], {
    description:
      "Every co-delivery the charity proposed for this service, accepted or not, with the fingerprint the council accepts (council and charity admins only).",
  })
  async coDeliveryProposals(
    @Root() s: CouncilServiceCoDelivered,
    @Ctx() ctx: CharityContext,
  ): Promise<CoDelivery[]> {
    const accepted = new Set(s.acceptedCoDeliveries ?? []);
    return (await ctx.coDelivery.load(s.id)).map((c) => ({
      ...c,
      accepted: accepted.has(`${c.id}@${c.fingerprint}`),
    }));
  }

  @Directive('@requiresScopes(scopes: [["admin:charity"]])')
  @Mutation(() => CoDelivery, {
    name: "proposeCharityCoDelivery",
    description:
      "Proposes that one of the charity's organizations co-delivers a council service (charity admins only). It stays private until the council accepts it (acceptCouncilCoDelivery).",
  })
  async propose(
    @Arg("serviceId", () => ID, { description: 'The council service, "council:<id>".' })
    serviceId: string,
    @Arg("organizationId", () => ID, {
      description: 'The co-delivering charity organization, "charity:<id>".',
    })
    organizationId: string,
    @Arg("role", () => String, {
      description: 'What the charity does in the service, e.g. "Family support workers".',
    })
    role: string,
    @Arg("staffShare", () => Float, {
      nullable: true,
      description: "Share of the staff the charity provides, 0–1.",
    })
    staffShare: number | null,
    @Arg("contactEmail", () => String, {
      nullable: true,
      description: "Who to contact at the charity about its part.",
    })
    contactEmail: string | null,
    @Ctx() ctx: CharityContext,
  ): Promise<CoDelivery> {
    const service = parseGlobalId(serviceId);
    if (!service || service.partner !== "council")
      throw badInput("serviceId", 'must be a council service id, "council:<id>"');
    const org = parseGlobalId(organizationId);
    if (!org || org.partner !== "charity" || !(await ctx.loaders.organization.load(org.hsdsId)))
      throw badInput("organizationId", "must be one of the charity's organizations");
    const r = role.trim();
    if (!r || r.length > 200) throw badInput("role", "give 1–200 characters");
    if (staffShare !== null && staffShare !== undefined && !(staffShare >= 0 && staffShare <= 1))
      throw badInput("staffShare", "must be from 0 to 1");
    const email = contactEmail?.trim() || null;
    if (email && !EMAIL.test(email)) throw badInput("contactEmail", "is not an email address");
    const row = {
      id: `cd-${randomUUID()}`,
      service_ref: serviceId,
      organization_id: org.hsdsId,
      role: r,
      staff_share: staffShare ?? null,
      contact_email: email,
    };
    await ctx.db.query(
      `INSERT INTO co_delivery (id, service_ref, organization_id, role, staff_share, contact_email) VALUES ($1, $2, $3, $4, $5, $6)`,
      [row.id, row.service_ref, row.organization_id, row.role, row.staff_share, row.contact_email],
    );
    return {
      id: row.id,
      role: r,
      staffShare: row.staff_share,
      contactEmail: email,
      organizationId: org.hsdsId,
      fingerprint: coDeliveryFingerprint(row),
      accepted: false,
    };
  }
}

@Resolver(() => CoDelivery)
export class CoDeliveryResolver {
  @FieldResolver(() => CharityOrganization, { description: "The co-delivering charity." })
  organization(@Root() c: CoDelivery, @Ctx() ctx: CharityContext) {
    return ctx.loaders.organization.load(c.organizationId);
  }
}

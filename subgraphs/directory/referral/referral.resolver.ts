// createReferral, the partner inbox (referrals), myReferrals, status moves and referralHealth. The
// directory is a stateless relay here: each call goes to the partner that owns the referral (the
// service id's or referral id's prefix says which) over the signed-claims channel, and the answer
// comes back to the gateway. Nothing is logged (serve.ts logs operation names and timings only),
// stored, indexed or cached, and access is decided again by the owner partner from the claims.
import "reflect-metadata";
import {
  Arg,
  Args,
  Ctx,
  Directive,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { GraphQLError } from "graphql";
import { PARTNERS, isPartnerId, type PartnerId } from "../../../schema/vocabulary.ts";
import { areasServing, localAuthorityInfo } from "../../../schema/areas.ts";
import { PUBLIC_CLAIMS } from "../../../platform/claims.ts";
import { parseGlobalId } from "../../kit/service.map.ts";
import type { DeliveryWire } from "../../kit/referral/referral.webhooks.ts";
import {
  ReferralChannelError,
  callPartnerReferrals,
  type ReferralOp,
  type ReferralPage,
  type ReferralWire,
  type ServiceReferralCounts,
} from "../../kit/referral/referral.wire.ts";
import { serviceRef } from "../types/entities.ts";
import type { DirectoryContext } from "../context.ts";
import {
  Referral,
  ReferralConnection,
  ReferralHealth,
  ReferralInput,
  ReferralWebhook,
  ReferralWebhookDelivery,
  PartnerReferralHealth,
  ServiceReferralHealth,
  ReferralStatus,
  UpdateReferralStatusArgs,
} from "./referral.type.ts";

const PROFESSIONALS = `@requiresScopes(scopes: [["professional"]])`;
const ANY_ADMIN = `@requiresScopes(scopes: [${PARTNERS.map((p) => `["admin:${p}"]`).join(", ")}])`;

const badInput = (field: string, message: string) =>
  new GraphQLError(`${field}: ${message}`, { extensions: { code: "BAD_USER_INPUT", field } });

function ownerOf(id: unknown, field: string, what: string): PartnerId {
  const partner = typeof id === "string" ? parseGlobalId(id)?.partner : undefined;
  if (!partner || !isPartnerId(partner))
    throw badInput(field, `is not a ${what} id, "<partner>:<id>"`);
  return partner;
}

/** The partner a signed-in partner admin administers: their inbox, webhook and log are its. */
function adminPartner(ctx: DirectoryContext): PartnerId {
  const partner = ctx.claims?.partner;
  if (!partner || !isPartnerId(partner))
    throw new GraphQLError("Only partner admins have an inbox", {
      extensions: { code: "FORBIDDEN" },
    });
  return partner;
}

async function relay<T>(ctx: DirectoryContext, partner: PartnerId, op: ReferralOp): Promise<T> {
  const channel = ctx.referrals;
  if (!channel)
    throw new GraphQLError("Referrals are not available", {
      extensions: { code: "PARTNER_UNAVAILABLE", partner },
    });
  let answer;
  try {
    answer = await callPartnerReferrals<T>({
      partner,
      url: channel.partnerUrls[partner]!,
      claims: ctx.claims ?? PUBLIC_CLAIMS,
      secret: channel.secret,
      op,
    });
  } catch (err) {
    if (err instanceof ReferralChannelError) {
      throw new GraphQLError(`Partner "${partner}" is unavailable for referrals`, {
        extensions: { code: "PARTNER_UNAVAILABLE", partner, reason: err.reason },
      });
    }
    throw err;
  }
  if (!answer.ok) {
    const { code, message, ...rest } = answer.error;
    throw new GraphQLError(message, { extensions: { code, ...rest } });
  }
  return answer.result;
}

/** The API's view of a partner's answer; services become entity references the gateway resolves. */
export function toReferral(w: ReferralWire): Referral {
  let nextOption: string | null = null;
  if (w.storedStatus === "DECLINED" || (w.declineReason && w.storedStatus === "CLOSED")) {
    const ranked = w.routePlan?.rankedServiceIds ?? [];
    const at = ranked.indexOf(w.serviceId);
    nextOption =
      (at >= 0 ? ranked[at + 1] : ranked.find((id) => id !== w.serviceId)) ??
      w.suggestedAlternativeServiceId ??
      null;
  }
  return {
    ...w,
    service: serviceRef(w.serviceId),
    partner: w.partner.toUpperCase(),
    createdAt: new Date(w.createdAt),
    dueBy: new Date(w.dueBy),
    acknowledgedAt: w.acknowledgedAt ? new Date(w.acknowledgedAt) : null,
    suggestedAlternative: w.suggestedAlternativeServiceId
      ? serviceRef(w.suggestedAlternativeServiceId)
      : null,
    nextOption: nextOption ? serviceRef(nextOption) : null,
    history: w.history.map((e) => ({
      ...e,
      at: new Date(e.at),
      actorPartner: e.actorPartner?.toUpperCase() ?? null,
    })),
  } as Referral;
}

@Resolver(() => Referral)
export class ReferralResolver {
  @Directive(PROFESSIONALS)
  @Mutation(() => Referral, {
    description:
      "Refers a child to a service of any partner (professionals only). The referral is stored only by the partner that owns the service, in its own database, with the child's details encrypted; it is never indexed, logged or cached. Bad input (unknown service, not accepting referrals, missing consent, child outside the service's ages) is BAD_USER_INPUT naming the field, and nothing is stored.",
  })
  async createReferral(
    @Arg("input", () => ReferralInput, { description: "The referral." }) input: ReferralInput,
    @Ctx() ctx: DirectoryContext,
  ): Promise<Referral> {
    const partner = ownerOf(input.serviceId, "input.serviceId", "service");
    return toReferral(
      await relay<ReferralWire>(ctx, partner, {
        op: "create",
        input: JSON.parse(JSON.stringify(input)),
      }),
    );
  }

  @Directive(PROFESSIONALS)
  @Query(() => Referral, {
    nullable: true,
    description: "One referral: for its referrer and the receiving partner's admins.",
  })
  async referral(
    @Arg("id", () => ID, { description: "The referral's id." }) id: string,
    @Ctx() ctx: DirectoryContext,
  ): Promise<Referral> {
    return toReferral(
      await relay<ReferralWire>(ctx, ownerOf(id, "id", "referral"), { op: "get", id }),
    );
  }

  @Directive(ANY_ADMIN)
  @Query(() => ReferralConnection, {
    description:
      "Your partner's referral inbox, newest first (partner admins; each sees only their own partner's referrals).",
  })
  async referrals(
    @Ctx() ctx: DirectoryContext,
    @Arg("status", () => ReferralStatus, {
      nullable: true,
      description: "Only referrals with this status (OVERDUE: NEW and past due).",
    })
    status: string | null,
    @Arg("first", () => Int, { defaultValue: 20, description: "Page size, 1–100." }) first: number,
    @Arg("after", () => String, { nullable: true, description: "endCursor of the previous page." })
    after: string | null,
  ): Promise<ReferralConnection> {
    const partner = adminPartner(ctx);
    const page = await relay<ReferralPage>(ctx, partner, {
      op: "inbox",
      status: (status as never) ?? null,
      first,
      after: after ?? null,
    });
    return {
      edges: page.nodes.map((n) => ({
        cursor: Buffer.from(`${n.createdAt}|${n.reference}`).toString("base64url"),
        node: toReferral(n),
      })),
      totalCount: page.totalCount,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: !!after,
        startCursor: null,
        endCursor: page.endCursor,
      } as never,
    };
  }

  @Directive(PROFESSIONALS)
  @Query(() => [Referral], {
    description:
      "The referrals you sent, newest first, with each one's status history, from every partner.",
  })
  async myReferrals(
    @Ctx() ctx: DirectoryContext,
    @Arg("first", () => Int, { defaultValue: 50, description: "Most referrals to return, 1–100." })
    first: number,
  ): Promise<Referral[]> {
    if (!Number.isInteger(first) || first < 1 || first > 100)
      throw badInput("first", "must be 1–100");
    const lists = await Promise.all(
      PARTNERS.map((p) => relay<ReferralWire[]>(ctx, p, { op: "mine", first })),
    );
    return lists
      .flat()
      .sort((a, b) =>
        a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
      )
      .slice(0, first)
      .map(toReferral);
  }

  @Directive(ANY_ADMIN)
  @Mutation(() => Referral, {
    description:
      "Moves a referral (the receiving partner's admins only): NEW → ACKNOWLEDGED → ACCEPTED | DECLINED | MORE_INFO_REQUESTED → … → CLOSED. Send the version you read as expectedVersion: a stale one gets CONFLICT with extensions.currentVersion and nothing changes. Every move is audited in the referral's history.",
  })
  async updateReferralStatus(
    @Args(() => UpdateReferralStatusArgs) { id, expectedVersion, input }: UpdateReferralStatusArgs,
    @Ctx() ctx: DirectoryContext,
  ): Promise<Referral> {
    const partner = ownerOf(id, "id", "referral");
    return toReferral(
      await relay<ReferralWire>(ctx, partner, {
        op: "transition",
        id,
        expectedVersion,
        to: input.status,
        declineReason: input.declineReason ?? null,
        suggestedAlternativeServiceId: input.suggestedAlternativeServiceId ?? null,
        outcome: input.outcome ?? null,
        note: input.note ?? null,
      }),
    );
  }

  @Directive(PROFESSIONALS)
  @Mutation(() => Referral, {
    description:
      "The referrer answers a request for more information; the referral goes back to ACKNOWLEDGED.",
  })
  async provideReferralInformation(
    @Arg("id", () => ID, { description: "The referral's id." }) id: string,
    @Arg("expectedVersion", () => Int, { description: "The referral's version when you read it." })
    expectedVersion: number,
    @Arg("information", () => String, { description: "The information asked for." })
    information: string,
    @Ctx() ctx: DirectoryContext,
  ): Promise<Referral> {
    return toReferral(
      await relay<ReferralWire>(ctx, ownerOf(id, "id", "referral"), {
        op: "provideInfo",
        id,
        expectedVersion,
        information,
      }),
    );
  }

  @Directive(ANY_ADMIN)
  @Mutation(() => ReferralWebhook, {
    description:
      "Registers (or replaces) your partner's referral webhook (partner admins). New referrals and status changes are POSTed there as JSON naming the referral and its status, never the child, signed with the secret returned here, retried with exponential backoff, and recorded in referralWebhookDeliveries.",
  })
  async registerReferralWebhook(
    @Arg("url", () => String, { description: "An http(s) URL of your own." }) url: string,
    @Ctx() ctx: DirectoryContext,
  ): Promise<ReferralWebhook> {
    const partner = adminPartner(ctx);
    const r = await relay<{ url: string; secret: string; partner: string }>(ctx, partner, {
      op: "registerWebhook",
      url,
    });
    return { ...r, partner: r.partner.toUpperCase() };
  }

  @Directive(ANY_ADMIN)
  @Query(() => [ReferralWebhookDelivery], {
    description: "Your partner's webhook delivery log, newest first (partner admins).",
  })
  async referralWebhookDeliveries(
    @Arg("first", () => Int, { defaultValue: 20, description: "Most deliveries to return, 1–200." })
    first: number,
    @Ctx() ctx: DirectoryContext,
  ): Promise<ReferralWebhookDelivery[]> {
    const rows = await relay<DeliveryWire[]>(ctx, adminPartner(ctx), {
      op: "webhookDeliveries",
      first,
    });
    return rows.map((d) => ({
      ...d,
      createdAt: new Date(d.createdAt),
      lastAttemptAt: d.lastAttemptAt ? new Date(d.lastAttemptAt) : null,
      nextAttemptAt: d.nextAttemptAt ? new Date(d.nextAttemptAt) : null,
      deliveredAt: d.deliveredAt ? new Date(d.deliveredAt) : null,
    }));
  }

  @Directive(PROFESSIONALS)
  @Query(() => ReferralHealth, {
    description:
      "Referral health for commissioners: per partner and service covering the area, referrals sent, acknowledged in time, accepted, declined with reasons and overdue. Counts only; no child's personal data.",
  })
  async referralHealth(
    @Arg("area", () => String, { description: "ONS GSS code of a local authority." }) area: string,
    @Ctx() ctx: DirectoryContext,
  ): Promise<ReferralHealth> {
    const la = localAuthorityInfo(area);
    if (!la) throw badInput("area", "is not a current local authority (ONS GSS code)");
    const areas = new Set(areasServing(la.code));
    const offline: string[] = [];
    const perPartner = await Promise.all(
      PARTNERS.map(async (p) => {
        try {
          return {
            partner: p,
            counts: await relay<ServiceReferralCounts[]>(ctx, p, { op: "health" }),
          };
        } catch (err) {
          if (err instanceof GraphQLError && err.extensions.code === "PARTNER_UNAVAILABLE") {
            offline.push(p.toUpperCase());
            return { partner: p, counts: [] };
          }
          throw err;
        }
      }),
    );
    // Which services serve the area comes from the directory's own copies (no personal data).
    const ids = perPartner.flatMap((p) => p.counts.map((c) => c.serviceId));
    const docs = await ctx.backend.get(ids);
    const inArea = new Set(
      docs.filter((d) => d && d.localAuthorities.some((a) => areas.has(a))).map((d) => d!.id),
    );
    const sumReasons = (lists: { reason: string; count: number }[][]) => {
      const m = new Map<string, number>();
      for (const l of lists) for (const r of l) m.set(r.reason, (m.get(r.reason) ?? 0) + r.count);
      return [...m]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    };
    return {
      localAuthority: la.code,
      offlinePartners: offline.sort(),
      partners: perPartner.map(({ partner, counts }) => {
        const services = counts
          .filter((c) => inArea.has(c.serviceId))
          .sort((a, b) => b.sent - a.sent || a.serviceId.localeCompare(b.serviceId));
        const sum = (k: "sent" | "acknowledgedInTime" | "accepted" | "declined" | "overdue") =>
          services.reduce((n, s) => n + s[k], 0);
        return {
          partner: partner.toUpperCase(),
          sent: sum("sent"),
          acknowledgedInTime: sum("acknowledgedInTime"),
          accepted: sum("accepted"),
          declined: sum("declined"),
          overdue: sum("overdue"),
          declineReasons: sumReasons(services.map((s) => s.declineReasons)),
          services: services.map((s) => ({ ...s, service: serviceRef(s.serviceId) })),
        };
      }),
    };
  }
}

@Resolver(() => PartnerReferralHealth)
export class PartnerReferralHealthResolver {
  @FieldResolver(() => [ServiceReferralHealth], {
    description: "Per service, most referrals first.",
  })
  services(
    @Root() p: PartnerReferralHealth,
    @Arg("first", () => Int, { defaultValue: 50, description: "Most services to list, 1–200." })
    first: number,
  ): ServiceReferralHealth[] {
    if (!Number.isInteger(first) || first < 1 || first > 200)
      throw badInput("first", "must be 1–200");
    return p.services.slice(0, first);
  }
}

// Partner admins updating their own services: the input types every partner shares (so the
// supergraph sees one identical ServiceUpdateInput), validation that names the field at fault, and
// the `update<Partner>Service` mutation and `<partner>ServiceAudit` query each partner inherits.
import "reflect-metadata";
import {
  Args,
  ArgsType,
  Ctx,
  Directive,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  type ClassType,
} from "type-graphql";
import { GraphQLError } from "graphql";
import { JSONResolver } from "graphql-scalars";
import { DateTimeScalar, Partner, ServiceStatus } from "../../schema/enums.ts";
import {
  PARTNER_INFO,
  SERVICE_STATUSES,
  type PartnerId,
  type ServiceStatusCode,
} from "../../schema/vocabulary.ts";
import type { PartnerContext } from "./partner.types.ts";
import { EMAIL } from "./hsds/validate.ts";
import { globalId, parseGlobalId, toService } from "./service.map.ts";
import {
  auditForService,
  setLocationConfidential,
  updateService,
  type AuditChanges,
  type AuditRow,
  type ContactValue,
  type ServicePatch,
} from "./service.write.ts";

export const MAX_WAIT_WEEKS = 104;
export const MAX_CONTACTS = 20;

@InputType("ServiceCapacityInput", {
  description: "New capacity figures; leave a field out to keep its current value.",
})
export class ServiceCapacityInput {
  @Field(() => Boolean, {
    nullable: true,
    description: "Whether the service is accepting new referrals. Cannot be null.",
  })
  acceptingReferrals?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: `Typical wait from referral to first contact, in whole weeks (0–${MAX_WAIT_WEEKS}); null when not known.`,
  })
  typicalWaitWeeks?: number | null;
}

@InputType("ServiceContactInput", {
  description: "A public way to contact the service: a phone number, an email address or both.",
})
export class ServiceContactInput {
  @Field(() => String, { nullable: true, description: 'Person or team name, e.g. "Reception".' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: "Role or job title." })
  title?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'UK or international telephone number, e.g. "01603 222222" or "+44 1603 222222 ext. 12".',
  })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: "Email address." })
  email?: string | null;
}

@InputType("ServiceUpdateInput", {
  description:
    "Changes a partner admin makes to one of their services. Give at least one field; fields left out keep their current values. Only fields whose value actually changes are written and audited.",
})
export class ServiceUpdateInput {
  @Field(() => ServiceStatus, {
    nullable: true,
    description: "New status, e.g. TEMPORARILY_CLOSED. Cannot be null.",
  })
  status?: ServiceStatusCode | null;

  @Field(() => ServiceCapacityInput, {
    nullable: true,
    description: "Accepting referrals and typical wait. Cannot be null.",
  })
  capacity?: ServiceCapacityInput | null;

  @Field(() => String, {
    nullable: true,
    description: 'Public email address for the service; null or "" removes it.',
  })
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Public web page (http or https); null or "" removes it.',
  })
  url?: string | null;

  @Field(() => [ServiceContactInput], {
    nullable: true,
    description: `Replaces every public contact, in this order (at most ${MAX_CONTACTS}); [] removes them all. Professional-only contacts are not affected.`,
  })
  contacts?: ServiceContactInput[] | null;
}

@Directive("@shareable")
@ObjectType("AuditChange", {
  description: "One field an update changed, with its value before and after.",
})
export class AuditChange {
  @Field(() => String, {
    description: 'Field path in the API, e.g. "status" or "capacity.typicalWaitWeeks".',
  })
  field!: string;

  @Field(() => JSONResolver, {
    nullable: true,
    description: "Value before the update (as the API shows it).",
  })
  from!: unknown;

  @Field(() => JSONResolver, { nullable: true, description: "Value after the update." })
  to!: unknown;
}

@Directive("@shareable")
@ObjectType("AuditEntry", {
  description: "Who changed a service, when, and what they changed. Partner admins only.",
})
export class AuditEntry {
  @Field(() => ID, { description: "Audit entry id; later entries have larger ids." })
  id!: string;

  @Field(() => ID, { description: 'The service changed, "<partner>:<id>".' })
  serviceId!: string;

  @Field(() => String, { description: "Who made the change (the signed-in user's subject id)." })
  actor!: string;

  @Field(() => Partner, { nullable: true, description: "The partner the actor administers." })
  actorPartner!: string | null;

  @Field(() => DateTimeScalar, { description: "When the change was made." })
  at!: Date;

  @Field(() => Int, { description: "The service's version before the change." })
  versionFrom!: number;

  @Field(() => Int, { description: "The service's version after the change." })
  versionTo!: number;

  @Field(() => [AuditChange], {
    description: "The fields that changed, each with its old and new value.",
  })
  changes!: AuditChange[];
}

// Argument classes rather than @Arg parameters: they keep the SDL's argument order as written.
@ArgsType()
export class UpdateServiceArgs {
  @Field(() => ID, {
    description: 'The service\'s id, "<partner>:<id>", e.g. "council:fh-norwich".',
  })
  id!: string;

  @Field(() => Int, { description: "The service's version when you read it (Service.version)." })
  expectedVersion!: number;

  @Field(() => ServiceUpdateInput, { description: "What to change." })
  input!: ServiceUpdateInput;
}

@ArgsType()
export class ServiceAuditArgs {
  @Field(() => ID, { description: 'The service\'s id, "<partner>:<id>".' })
  id!: string;

  @Field(() => Int, { defaultValue: 50, description: "Most entries to return, 1–200." })
  first!: number;
}

@Directive("@shareable")
@ObjectType("LocationConfidentiality", {
  description: "A location's confidentiality after a partner admin set it.",
})
export class LocationConfidentiality {
  @Field(() => ID, { description: "The partner's location id." })
  locationId!: string;

  @Field(() => Boolean, { description: "Whether the location is now confidential." })
  confidential!: boolean;

  @Field(() => Boolean, {
    description: "False when it already had this value (nothing written or audited).",
  })
  changed!: boolean;

  @Field(() => Int, {
    description: "Services at the location; search re-derives each of them within seconds.",
  })
  services!: number;
}

@ArgsType()
export class SetLocationConfidentialArgs {
  @Field(() => ID, { description: "The partner's location id (Location.id)." })
  id!: string;

  @Field(() => Boolean, {
    description:
      "true hides the address and exact position from the public; false makes them public.",
  })
  confidential!: boolean;

  @Field(() => String, {
    description:
      'Why (kept in the audit trail), e.g. "Refuge closed; building now a public family hub".',
  })
  reason!: string;
}

// ---------------------------------------------------------------------------------------------
// Validation

const badInput = (field: string, message: string) =>
  new GraphQLError(`${field}: ${message}`, { extensions: { code: "BAD_USER_INPUT", field } });

const PHONE = /^\+?[0-9][0-9 ()-]{4,22}[0-9](?: ?(?:ext\.?|x) ?[0-9]{1,6})?$/i;
// Matching control characters is the point of this pattern.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** Trims; "" and null both mean "none". Rejects control characters and overlong values. */
function text(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (CONTROL.test(v)) throw badInput(field, "must not contain control characters");
  if (v.length > max) throw badInput(field, `must be at most ${max} characters`);
  return v || null;
}

function email(field: string, value: string | null | undefined): string | null {
  const v = text(field, value, 254);
  if (v !== null && !EMAIL.test(v)) throw badInput(field, `${quote(v)} is not an email address`);
  return v;
}

function webUrl(field: string, value: string | null | undefined): string | null {
  const v = text(field, value, 2048);
  if (v === null) return null;
  let u: URL | null;
  try {
    u = new URL(v);
  } catch {
    u = null;
  }
  if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || !u.hostname.includes(".")) {
    throw badInput(
      field,
      `${quote(v)} is not a web address; give a full http(s) URL such as "https://example.org.uk/service"`,
    );
  }
  return v;
}

function phone(field: string, value: string | null | undefined): string | null {
  const v = text(field, value, 40);
  if (v === null) return null;
  const digits = v.replace(/ ?(?:ext\.?|x) ?[0-9]+$/i, "").replace(/\D/g, "").length;
  if (!PHONE.test(v) || digits < 7 || digits > 15)
    throw badInput(field, `${quote(v)} is not a telephone number`);
  return v;
}

function contact(field: string, c: ServiceContactInput): ContactValue {
  const value = {
    name: text(`${field}.name`, c.name, 200),
    title: text(`${field}.title`, c.title, 200),
    phone: phone(`${field}.phone`, c.phone),
    email: email(`${field}.email`, c.email),
  };
  if (!value.phone && !value.email)
    throw badInput(field, "give a phone number, an email address or both");
  return value;
}

export interface ValidUpdate {
  hsdsId: string;
  expectedVersion: number;
  patch: ServicePatch;
}

/** Checks an update and turns it into a patch; throws BAD_USER_INPUT naming the field at fault. */
export function validateServiceUpdate(
  partner: PartnerId,
  id: string,
  expectedVersion: number,
  input: ServiceUpdateInput,
): ValidUpdate {
  const parsed = parseGlobalId(id);
  if (!parsed || parsed.partner !== partner) {
    throw badInput(
      "id",
      `must be one of the ${partner} partner's service ids, "${partner}:<id>"; got ${quote(id)}`,
    );
  }
  if (!Number.isInteger(expectedVersion) || expectedVersion < 1) {
    throw badInput(
      "expectedVersion",
      "must be the service's current version (a whole number from 1)",
    );
  }
  const given = (v: unknown) => v !== undefined;
  const patch: ServicePatch = {};
  if (given(input.status)) {
    if (input.status === null || !SERVICE_STATUSES.includes(input.status as ServiceStatusCode)) {
      throw badInput("input.status", "cannot be null; leave it out to keep the current status");
    }
    patch.status = input.status;
  }
  if (given(input.capacity)) {
    const cap = input.capacity;
    if (cap === null || cap === undefined)
      throw badInput("input.capacity", "cannot be null; leave it out to keep the current capacity");
    if (!given(cap.acceptingReferrals) && !given(cap.typicalWaitWeeks)) {
      throw badInput("input.capacity", "give acceptingReferrals, typicalWaitWeeks or both");
    }
    if (given(cap.acceptingReferrals)) {
      if (cap.acceptingReferrals === null)
        throw badInput("input.capacity.acceptingReferrals", "cannot be null; give true or false");
      patch["capacity.acceptingReferrals"] = cap.acceptingReferrals!;
    }
    if (given(cap.typicalWaitWeeks)) {
      const w = cap.typicalWaitWeeks ?? null;
      if (w !== null && (!Number.isInteger(w) || w < 0 || w > MAX_WAIT_WEEKS)) {
        throw badInput(
          "input.capacity.typicalWaitWeeks",
          `must be a whole number of weeks from 0 to ${MAX_WAIT_WEEKS}; got ${w}`,
        );
      }
      patch["capacity.typicalWaitWeeks"] = w;
    }
  }
  if (given(input.email)) patch.email = email("input.email", input.email);
  if (given(input.url)) patch.url = webUrl("input.url", input.url);
  if (given(input.contacts)) {
    if (input.contacts === null || input.contacts === undefined) {
      throw badInput("input.contacts", "cannot be null; send [] to remove every public contact");
    }
    if (input.contacts.length > MAX_CONTACTS)
      throw badInput("input.contacts", `at most ${MAX_CONTACTS} contacts`);
    patch.contacts = input.contacts.map((c, i) => contact(`input.contacts[${i}]`, c));
  }
  if (Object.keys(patch).length === 0) {
    throw badInput("input", "give at least one of status, capacity, email, url or contacts");
  }
  return { hsdsId: parsed.hsdsId, expectedVersion, patch };
}

// ---------------------------------------------------------------------------------------------
// Resolvers

// Stored keys come back in jsonb's order; entries list them in the order the input declares them.
const FIELD_ORDER = [
  "status",
  "capacity.acceptingReferrals",
  "capacity.typicalWaitWeeks",
  "email",
  "url",
  "contacts",
];
const orderOf = (f: string) => {
  const i = FIELD_ORDER.indexOf(f);
  return i < 0 ? FIELD_ORDER.length : i;
};

export function toAuditEntry(partner: PartnerId, row: AuditRow): AuditEntry {
  const changes = (
    typeof row.changes === "string" ? JSON.parse(row.changes) : row.changes
  ) as AuditChanges;
  return {
    id: row.id,
    serviceId: globalId(partner, row.service_id),
    actor: row.actor,
    actorPartner: row.actor_partner ? row.actor_partner.toUpperCase() : null,
    at: row.at,
    versionFrom: row.version_from,
    versionTo: row.version_to,
    changes: Object.entries(changes)
      .map(([field, { from, to }]) => ({ field, from, to }))
      .sort((a, b) => orderOf(a.field) - orderOf(b.field) || a.field.localeCompare(b.field)),
  };
}

/**
 * The update mutation and audit query for one partner, named per partner so root fields never
 * collide in the supergraph. Access is declared with @requiresScopes (visible in the supergraph)
 * and enforced for every field that declares it by scopes.ts.
 */
export function createServiceUpdateResolverBase(ServiceType: ClassType, partner: PartnerId) {
  const prefix = PARTNER_INFO[partner].typePrefix;
  const scope = `admin:${partner}`;
  const adminsOnly = `@requiresScopes(scopes: [["${scope}"]])`;
  const serviceIdOf = (id: string) => {
    const parsed = parseGlobalId(id);
    if (!parsed || parsed.partner !== partner) {
      throw badInput(
        "id",
        `must be one of the ${partner} partner's service ids, "${partner}:<id>"; got ${quote(id)}`,
      );
    }
    return parsed.hsdsId;
  };
  const notFound = (id: string) =>
    new GraphQLError(`No ${partner} service with id ${quote(id)} (it may have been deleted)`, {
      extensions: { code: "NOT_FOUND", field: "id" },
    });

  @Resolver(() => ServiceType)
  abstract class ServiceUpdateResolverBase {
    @Directive(adminsOnly)
    @Mutation(() => ServiceType, {
      name: `update${prefix}Service`,
      description: `Updates one of the ${partner} partner's services (${partner} admins only). Send the version you last read as expectedVersion: if the service has changed since, nothing is written and the error has code CONFLICT and extensions.currentVersion. Each change is audited (see ${partner}ServiceAudit) and reaches search and routing within seconds.`,
    })
    async updateService(
      @Args(() => UpdateServiceArgs) { id, expectedVersion, input }: UpdateServiceArgs,
      @Ctx() ctx: PartnerContext,
    ) {
      const valid = validateServiceUpdate(partner, id, expectedVersion, input);
      const outcome = await updateService(ctx.db, {
        ...valid,
        actor: ctx.claims.sub,
        actorPartner: ctx.claims.partner,
      });
      if (outcome.kind === "not_found") throw notFound(id);
      if (outcome.kind === "conflict") {
        throw new GraphQLError(
          `${id} is at version ${outcome.currentVersion}, not ${expectedVersion}: someone else changed it since you read it. Read it again and reapply your change.`,
          {
            extensions: {
              code: "CONFLICT",
              currentVersion: outcome.currentVersion,
              field: "expectedVersion",
            },
          },
        );
      }
      const service = toService(partner, outcome.row);
      // This request's loaders may have read the old record; later fields must see the new one.
      ctx.loaders.service.clear(valid.hsdsId).prime(valid.hsdsId, service);
      ctx.loaders.children.contacts.clear(valid.hsdsId);
      return service;
    }

    @Directive(adminsOnly)
    @Mutation(() => LocationConfidentiality, {
      name: `set${prefix}LocationConfidential`,
      description: `Hides or unhides one of the ${partner} partner's locations (${partner} admins only), with a reason that is audited. The only way besides an import run with --allow-unhide to make a confidential location public. Every service at the location is re-indexed.`,
    })
    async setLocationConfidential(
      @Args(() => SetLocationConfidentialArgs)
      { id, confidential, reason }: SetLocationConfidentialArgs,
      @Ctx() ctx: PartnerContext,
    ): Promise<LocationConfidentiality> {
      const why = text("reason", reason, 500);
      if (!why) throw badInput("reason", "say why the location's confidentiality changes");
      const outcome = await setLocationConfidential(ctx.db, {
        locationId: id,
        confidential,
        reason: why,
        actor: ctx.claims.sub,
        actorPartner: ctx.claims.partner,
      });
      if (outcome.kind === "not_found") {
        throw new GraphQLError(`No ${partner} location with id ${quote(id)}`, {
          extensions: { code: "NOT_FOUND", field: "id" },
        });
      }
      return {
        locationId: id,
        confidential: outcome.confidential,
        changed: outcome.kind === "changed",
        services: outcome.services,
      };
    }

    @Directive(adminsOnly)
    @Query(() => [AuditEntry], {
      name: `${partner}ServiceAudit`,
      description: `Who changed one of the ${partner} partner's services, when, and what changed, newest first (${partner} admins only).`,
    })
    async serviceAudit(
      @Args(() => ServiceAuditArgs) { id, first }: ServiceAuditArgs,
      @Ctx() ctx: PartnerContext,
    ): Promise<AuditEntry[]> {
      const hsdsId = serviceIdOf(id);
      if (!Number.isInteger(first) || first < 1 || first > 200)
        throw badInput("first", "must be 1–200");
      const rows = await auditForService(ctx.db, hsdsId, first);
      if (!rows) throw notFound(id);
      return rows.map((r) => toAuditEntry(partner, r));
    }
  }
  return ServiceUpdateResolverBase;
}

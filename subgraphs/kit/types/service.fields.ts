// The common Service and Organization contract, declared once. Partners apply it to their own
// entity types; the directory applies it to the `Service` interface and, marked @external, to each
// partner's implementation stub. A partner drifting from it fails composition.
import "reflect-metadata";
import { Directive, Field, ID, Int } from "type-graphql";
import {
  DateTimeScalar,
  DeliveryMode,
  Need,
  ReferralRoute,
  ServiceStatus,
} from "../../../schema/enums.ts";
import {
  AgeRange,
  Capacity,
  Contact,
  CostOption,
  Funding,
  Language,
  Location,
  Schedule,
  TaxonomyTerm,
} from "./values.ts";

export interface FieldSpec {
  name: string;
  type: () => unknown;
  nullable?: boolean;
  description: string;
  /** An access rule (e.g. @requiresScopes) the owning partner declares and enforces. */
  access?: string;
  /**
   * The directory's copy answers it on its own result lists (@provides, directory/types/provided.ts),
   * so the owning partner declares it @shareable. Never set on a field with an access rule.
   */
  copied?: boolean;
}

const PROFESSIONALS = '@requiresScopes(scopes: [["professional"]])';

/** The entity types a field points at differ by subgraph (a reference stub, or the owning type). */
export interface EntityTypes {
  Organization: () => unknown;
  LocalAuthority: () => unknown;
  /** The directory declares only the public fields of `Location` its copy holds (values.ts has all). */
  Location?: () => unknown;
}

export function serviceFields(entities: EntityTypes): FieldSpec[] {
  return [
    {
      name: "id",
      type: () => ID,
      description: 'Global service id, "<partner>:<partner\'s HSDS id>", e.g. "council:6c1f…".',
    },
    {
      name: "hsdsId",
      copied: true,
      type: () => String,
      description: "The id in the partner's own HSDS feed.",
    },
    {
      name: "name",
      copied: true,
      type: () => String,
      description: "Service name as the partner publishes it.",
    },
    {
      name: "alternateName",
      type: () => String,
      nullable: true,
      description: "Another name people know the service by.",
    },
    {
      name: "description",
      copied: true,
      type: () => String,
      description: "What the service does and for whom, in plain words.",
    },
    {
      name: "status",
      copied: true,
      type: () => ServiceStatus,
      description: "Whether the service is running (HSDS status).",
    },
    {
      name: "url",
      type: () => String,
      nullable: true,
      description: "Public web page for the service.",
    },
    {
      name: "email",
      type: () => String,
      nullable: true,
      description: "Public email address for the service.",
    },
    {
      name: "applicationProcess",
      type: () => String,
      nullable: true,
      description: "How to get the service: steps to apply or be referred.",
    },
    {
      name: "fees",
      type: () => String,
      nullable: true,
      description: "Fees in words (HSDS fees_description); see costOptions for amounts.",
    },
    {
      name: "eligibilityDescription",
      type: () => String,
      nullable: true,
      description: "Who can use the service, in the partner's words.",
    },
    {
      name: "alert",
      copied: true,
      type: () => String,
      nullable: true,
      description: 'A temporary notice (e.g. "waiting list closed until May").',
    },
    {
      name: "ageRange",
      copied: true,
      type: () => AgeRange,
      description: "Ages the service takes.",
    },
    {
      name: "needs",
      copied: true,
      type: () => [Need],
      description: "Needs the service meets, in the shared vocabulary.",
    },
    {
      name: "referralRoutes",
      copied: true,
      type: () => [ReferralRoute],
      description: "Who can refer a child; SELF means the young person can self-refer.",
    },
    {
      name: "deliveryModes",
      copied: true,
      type: () => [DeliveryMode],
      description: "How the service is delivered.",
    },
    {
      name: "capacity",
      copied: true,
      type: () => Capacity,
      description: "Whether it is accepting referrals and the typical wait.",
    },
    {
      name: "funding",
      copied: true,
      type: () => Funding,
      description: "Funder and contract end date.",
    },
    {
      name: "lastModified",
      copied: true,
      type: () => DateTimeScalar,
      description: "When the partner last changed this service.",
    },
    {
      name: "version",
      type: () => Int,
      description:
        "Increments on every change; send it back when updating to avoid overwriting someone else's change.",
    },
    {
      name: "organization",
      copied: true,
      type: () => entities.Organization(),
      description: "The organization that runs the service.",
    },
    {
      name: "locations",
      copied: true,
      type: () => [entities.Location ? entities.Location() : Location],
      description: "Where the service is delivered; empty for online/phone-only services.",
    },
    {
      name: "serviceAreas",
      copied: true,
      type: () => [entities.LocalAuthority()],
      description: "Local authority areas whose children the service takes.",
    },
    { name: "schedules", type: () => [Schedule], description: "When the service runs." },
    { name: "costOptions", type: () => [CostOption], description: "Prices; empty means free." },
    { name: "contacts", type: () => [Contact], description: "Public ways to contact the service." },
    {
      name: "languages",
      type: () => [Language],
      description: "Languages the service is offered in.",
    },
    {
      name: "taxonomyTerms",
      type: () => [TaxonomyTerm],
      description: "Published taxonomy terms (e.g. DfE family hubs categories).",
    },
    {
      name: "referralNotes",
      type: () => String,
      nullable: true,
      access: PROFESSIONALS,
      description:
        "Notes for referrers (thresholds, what to include). Signed-in professionals only.",
    },
    {
      name: "professionalContacts",
      type: () => [Contact],
      nullable: true,
      access: PROFESSIONALS,
      description:
        "Contact routes for professionals only (duty desks, direct lines). Signed-in professionals only; null for others.",
    },
  ];
}

export const ORGANIZATION_FIELDS: FieldSpec[] = [
  {
    name: "id",
    type: () => ID,
    description: 'Global organization id, "<partner>:<partner\'s HSDS id>".',
  },
  { name: "name", type: () => String, description: "Organization name." },
  { name: "description", type: () => String, description: "What the organization does." },
  { name: "url", type: () => String, nullable: true, description: "Website." },
  { name: "email", type: () => String, nullable: true, description: "Public email address." },
  {
    name: "charityNumber",
    type: () => String,
    nullable: true,
    description: "Charity Commission registration number, when a charity.",
  },
];

/**
 * Declares each field on `target` with type-graphql: marked @external for the directory's stubs,
 * or with its access rule for the owning partner (federation forbids access rules on interfaces).
 */
export function applyFields(
  target: Function,
  specs: FieldSpec[],
  opts: { external?: boolean; access?: boolean } = {},
) {
  for (const spec of specs) {
    if (opts.external) Directive("@external")(target.prototype, spec.name);
    if (opts.access && spec.access) Directive(spec.access)(target.prototype, spec.name);
    if (opts.access && spec.copied) Directive("@shareable")(target.prototype, spec.name);
    Field(spec.type as never, { nullable: spec.nullable ?? false, description: spec.description })(
      target.prototype,
      spec.name,
    );
  }
}

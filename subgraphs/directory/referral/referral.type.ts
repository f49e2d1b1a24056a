// The referral types of the public API. A referral lives only in the database of the partner that
// owns its service; the directory resolves these fields by relaying each call to that partner
// (referral.relay.ts) and keeps nothing.
import "reflect-metadata";
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar, Need, Partner } from "../../../schema/enums.ts";
import { ServiceEntity } from "../types/entities.ts";
import { Urgency } from "../route/route.types.ts";
import { PageInfo } from "../search.resolver.ts";

export enum ReferralStatus {
  NEW = "NEW",
  OVERDUE = "OVERDUE",
  ACKNOWLEDGED = "ACKNOWLEDGED",
  ACCEPTED = "ACCEPTED",
  DECLINED = "DECLINED",
  MORE_INFO_REQUESTED = "MORE_INFO_REQUESTED",
  CLOSED = "CLOSED",
}
registerEnumType(ReferralStatus, {
  name: "ReferralStatus",
  description:
    "Where a referral is: NEW → ACKNOWLEDGED → ACCEPTED | DECLINED | MORE_INFO_REQUESTED → … → CLOSED.",
  valuesConfig: {
    NEW: {
      description:
        "Sent; the service has not acknowledged it yet and it is within the service's response time.",
    },
    OVERDUE: {
      description:
        "Sent and not acknowledged within the service's response time (a NEW referral past dueBy).",
    },
    ACKNOWLEDGED: { description: "The service has seen it and is deciding." },
    ACCEPTED: { description: "The service will help the child." },
    DECLINED: {
      description:
        "The service will not take the child (see declineReason and suggestedAlternative).",
    },
    MORE_INFO_REQUESTED: { description: "The service needs more information from the referrer." },
    CLOSED: { description: "Finished, with an outcome." },
  },
});

export enum DeclineReason {
  NOT_ELIGIBLE = "NOT_ELIGIBLE",
  OUTSIDE_AREA = "OUTSIDE_AREA",
  NO_CAPACITY = "NO_CAPACITY",
  NEEDS_NOT_MET = "NEEDS_NOT_MET",
  ALREADY_SUPPORTED = "ALREADY_SUPPORTED",
  CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN",
  OTHER = "OTHER",
}
registerEnumType(DeclineReason, {
  name: "DeclineReason",
  description: "Why a service declined a referral (counted, anonymously, in referralHealth).",
  valuesConfig: {
    NOT_ELIGIBLE: { description: "The child does not meet the service's criteria." },
    OUTSIDE_AREA: { description: "The child lives outside the area the service covers." },
    NO_CAPACITY: { description: "The service cannot take more children now." },
    NEEDS_NOT_MET: { description: "The service does not meet this child's needs." },
    ALREADY_SUPPORTED: { description: "The child already gets this help." },
    CONSENT_WITHDRAWN: { description: "The family withdrew consent." },
    OTHER: { description: "Another reason (see the history's note)." },
  },
});

export enum ReferralOutcome {
  SUPPORT_COMPLETED = "SUPPORT_COMPLETED",
  SUPPORT_STARTED = "SUPPORT_STARTED",
  FAMILY_DISENGAGED = "FAMILY_DISENGAGED",
  REFERRED_ELSEWHERE = "REFERRED_ELSEWHERE",
  NO_FURTHER_ACTION = "NO_FURTHER_ACTION",
  WITHDRAWN = "WITHDRAWN",
}
registerEnumType(ReferralOutcome, {
  name: "ReferralOutcome",
  description: "How a referral ended.",
  valuesConfig: {
    SUPPORT_COMPLETED: { description: "The child was helped and the support has ended." },
    SUPPORT_STARTED: { description: "Support started; the referral itself is done." },
    FAMILY_DISENGAGED: { description: "The family stopped taking part." },
    REFERRED_ELSEWHERE: { description: "The child was referred to another service." },
    NO_FURTHER_ACTION: { description: "Nothing further was needed." },
    WITHDRAWN: { description: "The referrer withdrew the referral." },
  },
});

@ObjectType("ReferralChild", {
  description:
    "The child a referral is about. Only the referrer and the receiving partner's admins see it; null once retention has purged it.",
})
export class ReferralChild {
  @Field(() => String, { description: "The child's name." })
  name!: string;
  @Field(() => String, { description: "Date of birth, YYYY-MM-DD." })
  dateOfBirth!: string;
  @Field(() => String, { description: 'Home postcode, e.g. "NR2 4AB".' })
  postcode!: string;
}

@ObjectType("ReferralConsent", { description: "The family's consent to the referral." })
export class ReferralConsent {
  @Field(() => String, {
    description: 'Who gave consent, e.g. "Mother (Jane Doe)" or "The young person".',
  })
  givenBy!: string;
  @Field(() => String, { description: "When consent was given, YYYY-MM-DD." })
  givenAt!: string;
  @Field(() => String, { description: "What the family agreed may be shared, and with whom." })
  sharing!: string;
}

@ObjectType("ReferrerContact", { description: "How the receiving service reaches the referrer." })
export class ReferrerContact {
  @Field(() => String, { description: "The referrer's name." })
  name!: string;
  @Field(() => String, { description: "The referrer's email address." })
  email!: string;
  @Field(() => String, { nullable: true, description: "The referrer's telephone number." })
  phone!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "The referrer's organisation, e.g. a school or GP practice.",
  })
  organisation!: string | null;
}

@ObjectType("ReferralRoutePlan", {
  description: "The route plan a referral came from: ids only, never the child's profile.",
})
export class ReferralRoutePlan {
  @Field(() => String, {
    nullable: true,
    description: "The referrer's own reference for the plan.",
  })
  reference!: string | null;
  @Field(() => Need, { nullable: true, description: "The need this referral is for." })
  need!: string | null;
  @Field(() => [ID], { description: "The plan's services for that need, best first." })
  rankedServiceIds!: string[];
}

@ObjectType("ReferralEvent", {
  description: "One status change: who, when, from → to (the referral's audit trail).",
})
export class ReferralEvent {
  @Field(() => DateTimeScalar, { description: "When." })
  at!: Date;
  @Field(() => String, { description: "Who (the signed-in user's subject id)." })
  actor!: string;
  @Field(() => String, { description: "The actor's role: professional or partner-admin." })
  actorRole!: string;
  @Field(() => Partner, {
    nullable: true,
    description: "The partner the actor administers, if any.",
  })
  actorPartner!: string | null;
  @Field(() => ReferralStatus, {
    nullable: true,
    description: "Status before (null when the referral was created).",
  })
  from!: string | null;
  @Field(() => ReferralStatus, { description: "Status after." })
  to!: string;
  @Field(() => Int, { nullable: true, description: "The referral's version before." })
  versionFrom!: number | null;
  @Field(() => Int, { description: "The referral's version after." })
  versionTo!: number;
  @Field(() => String, {
    nullable: true,
    description: "A note with the change (a decline's explanation, a question, an answer).",
  })
  note!: string | null;
}

@ObjectType("Referral", {
  description: "A referral of a child to one partner's service, kept only by that partner.",
})
export class Referral {
  @Field(() => ID, { description: '"<partner>:<reference>", e.g. "council:R-7KQ2-M9XD".' })
  id!: string;
  @Field(() => String, { description: 'The reference to quote, e.g. "R-7KQ2-M9XD".' })
  reference!: string;
  @Field(() => Partner, {
    description: "The partner that owns the service and keeps the referral.",
  })
  partner!: string;
  @Field(() => ServiceEntity, { description: "The service the child is referred to." })
  service!: unknown;
  @Field(() => ReferralStatus, {
    description: "Current status; OVERDUE when not acknowledged by dueBy.",
  })
  status!: string;
  @Field(() => Boolean, { description: "Not acknowledged within the service's response time." })
  overdue!: boolean;
  @Field(() => Int, {
    description: "Changes with every status change; send it as expectedVersion.",
  })
  version!: number;
  @Field(() => Urgency, { description: "How soon help is needed." })
  urgency!: string;
  @Field(() => [Need], { description: "The needs the referral is for." })
  needs!: string[];
  @Field(() => DateTimeScalar, { description: "When it was sent." })
  createdAt!: Date;
  @Field(() => DateTimeScalar, {
    description: "When the service must acknowledge it by (its response time).",
  })
  dueBy!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: "When the service acknowledged it." })
  acknowledgedAt!: Date | null;
  @Field(() => ReferralChild, {
    nullable: true,
    description: "The child; null once purged by retention.",
  })
  child!: ReferralChild | null;
  @Field(() => String, {
    nullable: true,
    description: "Why the child is referred; null once purged.",
  })
  reason!: string | null;
  @Field(() => ReferralConsent, {
    nullable: true,
    description: "The family's consent; null once purged.",
  })
  consent!: ReferralConsent | null;
  @Field(() => ReferrerContact, {
    nullable: true,
    description: "The referrer's contact details; null once purged.",
  })
  referrer!: ReferrerContact | null;
  @Field(() => ReferralRoutePlan, {
    nullable: true,
    description: "The route plan it came from, if any.",
  })
  routePlan!: ReferralRoutePlan | null;
  @Field(() => DeclineReason, { nullable: true, description: "Why the service declined it." })
  declineReason!: string | null;
  @Field(() => ServiceEntity, {
    nullable: true,
    description: "A service the declining partner suggests instead.",
  })
  suggestedAlternative!: unknown;
  @Field(() => ServiceEntity, {
    nullable: true,
    description:
      "For a declined referral from a route plan: the plan's next-ranked service for that need (the declining partner's suggestion when the plan has none).",
  })
  nextOption!: unknown;
  @Field(() => ReferralOutcome, { nullable: true, description: "How it ended (CLOSED)." })
  outcome!: string | null;
  @Field(() => Boolean, {
    description: "Retention has removed the personal data; the counts remain.",
  })
  purged!: boolean;
  @Field(() => [ReferralEvent], { description: "Every status change, oldest first." })
  history!: ReferralEvent[];
}

@ObjectType("ReferralEdge", { description: "One referral in an inbox page." })
export class ReferralEdge {
  @Field(() => String, {
    description: "Cursor of this referral: pass it as `after` for the ones after it.",
  })
  cursor!: string;
  @Field(() => Referral, { description: "The referral." })
  node!: Referral;
}

@ObjectType("ReferralConnection", {
  description: "A page of a partner's referral inbox, newest first.",
})
export class ReferralConnection {
  @Field(() => [ReferralEdge], { description: "The referrals on this page." })
  edges!: ReferralEdge[];
  @Field(() => Int, { description: "Referrals matching the filter, over all pages." })
  totalCount!: number;
  @Field(() => PageInfo, { description: "Cursor for the next page." })
  pageInfo!: PageInfo;
}

@InputType("ReferralChildInput", {
  description:
    "The child's details. Each is required; missing ones are named in a BAD_USER_INPUT error.",
})
export class ReferralChildInput {
  @Field(() => String, { nullable: true, description: "The child's name." })
  name?: string | null;
  @Field(() => String, { nullable: true, description: "Date of birth, YYYY-MM-DD." })
  dateOfBirth?: string | null;
  @Field(() => String, { nullable: true, description: "Home postcode." })
  postcode?: string | null;
}

@InputType("ReferralConsentInput", {
  description: "The family's consent: who gave it, when, for what sharing. Required.",
})
export class ReferralConsentInput {
  @Field(() => String, {
    nullable: true,
    description: 'Who gave consent, e.g. "Mother" or "The young person".',
  })
  givenBy?: string | null;
  @Field(() => String, { nullable: true, description: "When, YYYY-MM-DD." })
  givenAt?: string | null;
  @Field(() => String, { nullable: true, description: "What may be shared, and with whom." })
  sharing?: string | null;
}

@InputType("ReferrerContactInput", { description: "How the service reaches you." })
export class ReferrerContactInput {
  @Field(() => String, { nullable: true, description: "Your name." })
  name?: string | null;
  @Field(() => String, { nullable: true, description: "Your email address." })
  email?: string | null;
  @Field(() => String, { nullable: true, description: "Your telephone number." })
  phone?: string | null;
  @Field(() => String, { nullable: true, description: "Your organisation." })
  organisation?: string | null;
}

@InputType("ReferralRoutePlanInput", {
  description: "The route plan the referral comes from (ids only).",
})
export class ReferralRoutePlanInput {
  @Field(() => String, { nullable: true, description: "Your reference for the plan." })
  reference?: string | null;
  @Field(() => Need, { nullable: true, description: "The need this referral is for." })
  need?: string | null;
  @Field(() => [ID], {
    nullable: true,
    description: "The plan's services for that need, best first (at most 50).",
  })
  rankedServiceIds?: string[] | null;
}

@InputType("ReferralInput", {
  description: "A referral of a child to one service (any partner's).",
})
export class ReferralInput {
  @Field(() => ID, { description: 'The service, "<partner>:<id>".' })
  serviceId!: string;
  @Field(() => ReferralChildInput, { nullable: true, description: "The child." })
  child?: ReferralChildInput | null;
  @Field(() => [Need], {
    nullable: true,
    description: "The needs the referral is for (at least one).",
  })
  needs?: string[] | null;
  @Field(() => String, { nullable: true, description: "Why you are referring the child." })
  reason?: string | null;
  @Field(() => ReferralConsentInput, {
    nullable: true,
    description: "The family's consent; a referral without it is refused.",
  })
  consent?: ReferralConsentInput | null;
  @Field(() => Urgency, {
    nullable: true,
    description: "How soon help is needed (default ROUTINE).",
  })
  urgency?: string | null;
  @Field(() => ReferrerContactInput, { nullable: true, description: "Your contact details." })
  referrer?: ReferrerContactInput | null;
  @Field(() => ReferralRoutePlanInput, {
    nullable: true,
    description: "The route plan this comes from, if any.",
  })
  routePlan?: ReferralRoutePlanInput | null;
}

@InputType("ReferralStatusInput", { description: "A partner admin's move of a referral." })
export class ReferralStatusInput {
  @Field(() => ReferralStatus, {
    description: "The new status: ACKNOWLEDGED, ACCEPTED, DECLINED, MORE_INFO_REQUESTED or CLOSED.",
  })
  status!: string;
  @Field(() => DeclineReason, { nullable: true, description: "Required with DECLINED." })
  declineReason?: string | null;
  @Field(() => ID, { nullable: true, description: "With DECLINED: a service you suggest instead." })
  suggestedAlternativeServiceId?: string | null;
  @Field(() => ReferralOutcome, { nullable: true, description: "Required with CLOSED." })
  outcome?: string | null;
  @Field(() => String, {
    nullable: true,
    description: "A note (required with MORE_INFO_REQUESTED: what you need to know).",
  })
  note?: string | null;
}

@ArgsType()
export class UpdateReferralStatusArgs {
  @Field(() => ID, { description: "The referral's id." })
  id!: string;
  @Field(() => Int, {
    description: "The referral's version when you read it; a stale one gets CONFLICT.",
  })
  expectedVersion!: number;
  @Field(() => ReferralStatusInput, { description: "The move." })
  input!: ReferralStatusInput;
}

@ObjectType("DeclineReasonCount", {
  description: "How many referrals were declined for one reason.",
})
export class DeclineReasonCount {
  @Field(() => DeclineReason, { description: "The reason." })
  reason!: string;
  @Field(() => Int, { description: "Referrals declined for it." })
  count!: number;
}

@ObjectType("ServiceReferralHealth", {
  description: "Referral counts for one service. No child's personal data.",
})
export class ServiceReferralHealth {
  @Field(() => ServiceEntity, { description: "The service." })
  service!: unknown;
  @Field(() => Int, { description: "Referrals sent to it." })
  sent!: number;
  @Field(() => Int, { description: "Acknowledged at all." })
  acknowledged!: number;
  @Field(() => Int, { description: "Acknowledged within the service's response time." })
  acknowledgedInTime!: number;
  @Field(() => Int, { description: "Accepted." })
  accepted!: number;
  @Field(() => Int, { description: "Declined." })
  declined!: number;
  @Field(() => [DeclineReasonCount], { description: "Declines by reason." })
  declineReasons!: DeclineReasonCount[];
  @Field(() => Int, { description: "Not acknowledged and past due now." })
  overdue!: number;
  @Field(() => Int, { description: "Closed." })
  closed!: number;
}

@ObjectType("PartnerReferralHealth", {
  description: "Referral counts for one partner's services in the area.",
})
export class PartnerReferralHealth {
  @Field(() => Partner, { description: "The partner." })
  partner!: string;
  @Field(() => Int, { description: "Referrals sent to its services." })
  sent!: number;
  @Field(() => Int, { description: "Acknowledged within the response time." })
  acknowledgedInTime!: number;
  @Field(() => Int, { description: "Accepted." })
  accepted!: number;
  @Field(() => Int, { description: "Declined." })
  declined!: number;
  @Field(() => Int, { description: "Overdue now." })
  overdue!: number;
  @Field(() => [DeclineReasonCount], { description: "Declines by reason." })
  declineReasons!: DeclineReasonCount[];
  @Field(() => [ServiceReferralHealth], { description: "Per service, most referrals first." })
  services!: ServiceReferralHealth[];
}

@ObjectType("ReferralHealth", {
  description:
    "Where referrals stall in an area, for commissioners: counts only, no personal data.",
})
export class ReferralHealth {
  @Field(() => String, { description: "The area asked for (ONS GSS code)." })
  localAuthority!: string;
  @Field(() => [PartnerReferralHealth], { description: "One entry per partner." })
  partners!: PartnerReferralHealth[];
  @Field(() => [Partner], {
    description: "Partners that could not be asked; their counts are missing.",
  })
  offlinePartners!: string[];
}

@ObjectType("ReferralWebhook", { description: "Your partner's referral webhook, as registered." })
export class ReferralWebhook {
  @Field(() => Partner, { description: "The partner whose referrals are sent there." })
  partner!: string;
  @Field(() => String, { description: "Where new referrals and status changes are POSTed." })
  url!: string;
  @Field(() => String, {
    description:
      "The signing secret, shown only now: each POST carries x-wayfinder-signature: sha256=<hex HMAC-SHA256 of the body under this secret>. Registering again replaces it.",
  })
  secret!: string;
}

@ObjectType("ReferralWebhookDelivery", {
  description: "One webhook event and how its delivery went (the delivery log).",
})
export class ReferralWebhookDelivery {
  @Field(() => ID, { description: "Delivery id (sent as x-wayfinder-delivery)." })
  id!: string;
  @Field(() => String, { description: "referral.created or referral.status_changed." })
  event!: string;
  @Field(() => ID, { description: "The referral it is about." })
  referralId!: string;
  @Field(() => String, { description: "Where it was sent." })
  url!: string;
  @Field(() => String, {
    description: "PENDING (retrying with backoff), DELIVERED or FAILED (gave up).",
  })
  state!: string;
  @Field(() => Int, { description: "Attempts so far." })
  attempts!: number;
  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt." })
  lastStatus!: number | null;
  @Field(() => String, { nullable: true, description: "Why the last attempt failed." })
  lastError!: string | null;
  @Field(() => DateTimeScalar, { description: "When the event happened." })
  createdAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: "When the last attempt was made." })
  lastAttemptAt!: Date | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the next attempt is due (the wait doubles after each failure).",
  })
  nextAttemptAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: "When it was delivered." })
  deliveredAt!: Date | null;
}

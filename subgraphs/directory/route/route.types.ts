// GraphQL shapes of routeChild and coverage.
import "reflect-metadata";
import {
  Directive,
  Field,
  Float,
  InputType,
  Int,
  ObjectType,
  registerEnumType,
} from "type-graphql";
import { PROVIDES_SERVICE_CARD } from "../types/provided.ts";
import { AgeBand, DateScalar, Need, Partner } from "../../../schema/enums.ts";
import { ServiceEntity } from "../types/entities.ts";
import { DirectoryCopy } from "../types/copy.ts";

export enum Urgency {
  ROUTINE = "ROUTINE",
  SOON = "SOON",
  URGENT = "URGENT",
}
registerEnumType(Urgency, {
  name: "Urgency",
  description: "How soon the child needs help; sets the longest acceptable wait.",
  valuesConfig: {
    ROUTINE: { description: "Any wait." },
    SOON: { description: "A typical wait of 6 weeks or less." },
    URGENT: { description: "A typical wait of 2 weeks or less." },
  },
});

export enum ReferralPreference {
  SELF_REFERRAL = "SELF_REFERRAL",
  PROFESSIONAL_REFERRAL = "PROFESSIONAL_REFERRAL",
}
registerEnumType(ReferralPreference, {
  name: "ReferralPreference",
  description: "Who will make the referral.",
  valuesConfig: {
    SELF_REFERRAL: {
      description: "The family or young person will refer themselves (self or parent routes).",
    },
    PROFESSIONAL_REFERRAL: { description: "A professional will refer (any route)." },
  },
});

export enum SenProvision {
  EHC_PLAN = "EHC_PLAN",
  SEN_SUPPORT = "SEN_SUPPORT",
  NONE = "NONE",
}
registerEnumType(SenProvision, {
  name: "SenProvision",
  description: "SEN provision (DfE census codes E, K, N).",
  valuesConfig: {
    EHC_PLAN: { description: "Education, health and care plan (E)." },
    SEN_SUPPORT: { description: "SEN support (K)." },
    NONE: { description: "No special educational need (N)." },
  },
});

export enum GapKind {
  NO_SERVICE = "NO_SERVICE",
  AGE = "AGE",
  OUTSIDE_AREA = "OUTSIDE_AREA",
  NO_CAPACITY = "NO_CAPACITY",
  CONTRACT_ENDING = "CONTRACT_ENDING",
  CONTRACT_ENDED = "CONTRACT_ENDED",
  TEMPORARILY_CLOSED = "TEMPORARILY_CLOSED",
  LANGUAGE = "LANGUAGE",
  REFERRAL_ROUTE = "REFERRAL_ROUTE",
  PARTNER_OFFLINE = "PARTNER_OFFLINE",
}
registerEnumType(GapKind, {
  name: "GapKind",
  description: "Why a need is not (or may soon not be) met.",
  valuesConfig: {
    NO_SERVICE: {
      description:
        "No partner lists a service for this need and age anywhere (nothing closed, ended or elsewhere either).",
    },
    AGE: { description: "Services exist in the area, but not for this age (see nearestAge)." },
    OUTSIDE_AREA: {
      description:
        "Services exist, but beyond the child's travel distance, or none covers the child's area: then the nearby ones (land-neighbouring areas or within options.nearbyKm), else the nearest anywhere (see nearestDistanceKm).",
    },
    NO_CAPACITY: {
      description: "None accepting referrals, or waits longer than the urgency allows.",
    },
    CONTRACT_ENDING: {
      description:
        "Met today, but every suitable service's contract ends within 6 months (a warning).",
    },
    CONTRACT_ENDED: {
      description:
        "The services for this need in the area are out of contract, so not offered (see endedOn).",
    },
    TEMPORARILY_CLOSED: {
      description:
        "The services for this need in the area are temporarily closed (see notices for when they reopen).",
    },
    LANGUAGE: { description: "Services exist, but not in the child's language." },
    REFERRAL_ROUTE: {
      description: "Services exist, but need a referral route the family cannot use.",
    },
    PARTNER_OFFLINE: {
      description: "A partner could not be reached, so its services could not be checked.",
    },
  },
});

export enum NeedStatus {
  COVERED = "COVERED",
  AT_RISK = "AT_RISK",
  GAP = "GAP",
  UNKNOWN = "UNKNOWN",
}
registerEnumType(NeedStatus, {
  name: "NeedStatus",
  description: "Whether a need is met.",
  valuesConfig: {
    COVERED: { description: "At least one reachable service meets it." },
    AT_RISK: { description: "Met today, but with a warning (e.g. contracts ending)." },
    GAP: { description: "No reachable service meets it; see gaps." },
    UNKNOWN: {
      description:
        "Could not be checked because a partner is offline: only its (stale) entries could meet it, or it might run the only service. See the PARTNER_OFFLINE gap.",
    },
  },
});

@InputType("ChildProfileInput", {
  description: "A child's situation. Never logged, stored or cached.",
})
export class ChildProfileInput {
  @Field(() => Int, { nullable: true, description: "Age in whole years (or give dateOfBirth)." })
  age?: number;

  @Field(() => DateScalar, { nullable: true, description: "Date of birth, instead of age." })
  dateOfBirth?: Date | string;

  @Field(() => [Need], { description: "The child's needs (at least one)." })
  needs!: string[];

  @Field(() => String, {
    nullable: true,
    description:
      "Home postcode, any GB postcode or outward code (or give localAuthority). Without POSTCODES_URL it is placed at its outward code's centre and main authority; Northern Ireland (BT) postcodes need POSTCODES_URL.",
  })
  postcode?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Home local authority GSS code, any current UK authority, district or county ("E07000148" Norwich, "E10000020" Norfolk), instead of or as well as postcode; it wins over the postcode\'s authority.',
  })
  localAuthority?: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Languages the family needs, as codes ("cy", "pl"); any one will do.',
  })
  languages?: string[];

  @Field(() => SenProvision, {
    nullable: true,
    defaultValue: SenProvision.NONE,
    description: "SEN provision, if any.",
  })
  senProvision?: SenProvision;

  @Field(() => ReferralPreference, {
    nullable: true,
    defaultValue: ReferralPreference.PROFESSIONAL_REFERRAL,
    description: "Whether the family will self-refer or a professional will refer.",
  })
  referral?: ReferralPreference;

  @Field(() => Float, {
    nullable: true,
    description:
      "Furthest the family can travel, in km (services online, by phone or at home are exempt).",
  })
  maxTravelKm?: number;

  @Field(() => Urgency, {
    nullable: true,
    defaultValue: Urgency.ROUTINE,
    description: "How soon help is needed.",
  })
  urgency?: Urgency;
}

@InputType("RouteOptionsInput", {
  description:
    "What counts as nearby when no service covers the child's area. Services for the child's own authority (its county, for a district; its districts, for a county) always come first.",
})
export class RouteOptionsInput {
  @Field(() => Float, {
    nullable: true,
    defaultValue: 25,
    description:
      "Services within this many km of the child (of the authority's centre without a postcode) count as nearby. Default 25.",
  })
  nearbyKm?: number;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description:
      "Services covering an authority that shares a land boundary with the child's (its district's or its upper tier's) count as nearby, at any distance. Default true.",
  })
  includeNeighbours?: boolean;
}

@ObjectType("RoutedService", {
  description: "A service that can take this child for a need, and why.",
})
export class RoutedService {
  @Directive(PROVIDES_SERVICE_CARD)
  @Field(() => ServiceEntity, {
    nullable: true,
    description:
      "The service. What a plan shows (name, partner, needs, ages, capacity, funding, organization name, locations' public area …) comes from the directory's copy the plan was made from; other fields come from the owning partner, and are null when that partner cannot answer.",
  })
  service!: unknown;
  @Field(() => [Need], {
    description: "Which of the child's needs this one service meets (more = fewer handoffs).",
  })
  coversNeeds!: string[];
  @Field(() => [String], { description: "Why it matched, in plain words." })
  reasons!: string[];
  @Field(() => Float, {
    nullable: true,
    description: "Distance from the child's home, km (null if unknown or no location).",
  })
  distanceKm!: number | null;
  @Field(() => [String], { description: "Referral routes the service accepts." })
  referralRoutes!: string[];
  @Field(() => Boolean, { description: "Accepting referrals now." })
  acceptingReferrals!: boolean;
  @Field(() => Int, { nullable: true, description: "Typical wait in weeks." })
  typicalWaitWeeks!: number | null;
  @Field(() => DateScalar, {
    nullable: true,
    description: "Contract end date, shown when within 12 months.",
  })
  contractEndDate!: string | null;
  @Field(() => Boolean, {
    description:
      "The partner is offline: `service` is null and the details are from its last sync; this service does not make the need COVERED.",
  })
  stale!: boolean;
  @Field(() => DirectoryCopy, {
    description:
      "The directory's copy of the service's listing (name, partner, needs, area): what to show while `stale` is true.",
  })
  directoryCopy!: DirectoryCopy;
}

@ObjectType("Gap", {
  description: "A need not met (or at risk), typed, with words a professional can act on.",
})
export class Gap {
  @Field(() => GapKind, { description: "What kind of gap." }) kind!: string;
  @Field(() => Need, { description: "The need affected." }) need!: string;
  @Field(() => Boolean, {
    description: "False for warnings that do not stop the need being met today.",
  })
  blocking!: boolean;
  @Field(() => String, { description: "What is wrong and what to do." }) message!: string;
  @Field(() => Int, { nullable: true, description: "AGE gaps: the nearest age that is served." })
  nearestAge!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "OUTSIDE_AREA gaps: distance to the nearest service, km.",
  })
  nearestDistanceKm!: number | null;
  @Field(() => [Partner], {
    description: "PARTNER_OFFLINE gaps: the partners that could not be checked.",
  })
  partners!: string[];
  @Field(() => [String], {
    description: "Ids of the services the gap is about (those that nearly fit).",
  })
  serviceIds!: string[];
  @Field(() => DateScalar, {
    nullable: true,
    description: "CONTRACT_ENDED gaps: the date the (last) contract ended.",
  })
  endedOn!: string | null;
  @Field(() => [String], {
    description:
      'TEMPORARILY_CLOSED gaps: each closed service\'s notice ("<name>: <notice>"), e.g. when it reopens.',
  })
  notices!: string[];
}

@ObjectType("NeedRoute", {
  description: "Services for one of the child's needs, or why there are none.",
})
export class NeedRoute {
  @Field(() => Need, { description: "The need." }) need!: string;
  @Field(() => NeedStatus, { description: "Covered, at risk, gap or unknown." }) status!: string;
  @Field(() => [RoutedService], {
    description: "Reachable services, best first (multi-need services first).",
  })
  services!: RoutedService[];
  @Field(() => [Gap], { description: "Gaps and warnings for this need." }) gaps!: Gap[];
}

@ObjectType("NeedLevel", { description: "Suggested level on the continuum of need." })
export class NeedLevel {
  @Field(() => Int, {
    description:
      "1 universal, 2 additional/early help, 3 targeted/integrated, 4 specialist/statutory.",
  })
  level!: number;
  @Field(() => String, { description: "Level name." }) label!: string;
  @Field(() => String, { description: "Why this level." }) reason!: string;
}

@ObjectType("LeadAgency", {
  description: "Suggested lead agency when three or more needs span two or more partners.",
})
export class LeadAgency {
  @Field(() => Partner, { description: "The partner suggested to lead." }) partner!: string;
  @Field(() => String, { description: "Why." }) reason!: string;
}

@ObjectType("RoutePlan", {
  description: "A joined-up plan across council, charity and health, with every gap named.",
})
export class RoutePlan {
  @Field(() => [NeedRoute], { description: "One entry per need, in the order given." })
  needs!: NeedRoute[];
  @Field(() => [Gap], { description: "All gaps and warnings across needs." }) gaps!: Gap[];
  @Field(() => NeedLevel, { description: "Suggested level of need, with the reason." })
  level!: NeedLevel;
  @Field(() => LeadAgency, {
    nullable: true,
    description: "Suggested lead agency, when needs span partners.",
  })
  leadAgency!: LeadAgency | null;
  @Field(() => [Partner], {
    description: "Partners offline while planning: their services could not be checked.",
  })
  offlinePartners!: string[];
}

@ObjectType("PartnerCount", { description: "Services a partner runs." })
export class PartnerCount {
  @Field(() => Partner, { description: "The partner." }) partner!: string;
  @Field(() => Int, { description: "Number of active services." }) count!: number;
}

@ObjectType("CoverageCell", { description: "Services for one need and age band in the area." })
export class CoverageCell {
  @Field(() => AgeBand, { description: "Age band." }) ageBand!: string;
  @Field(() => Int, { description: "Active services across partners." }) total!: number;
  @Field(() => [PartnerCount], { description: "Per partner." }) byPartner!: PartnerCount[];
  @Field(() => Boolean, { description: "True when no service covers this need and age band." })
  gap!: boolean;
}

@ObjectType("NeedCoverage", { description: "One need's row of the coverage matrix." })
export class NeedCoverage {
  @Field(() => Need, { description: "The need." }) need!: string;
  @Field(() => [CoverageCell], { description: "One cell per age band." }) cells!: CoverageCell[];
}

@ObjectType("EndingContract", {
  description:
    "A service whose contract ends soon and that is the only provider of a need in the area.",
})
export class EndingContract {
  @Directive(PROVIDES_SERVICE_CARD)
  @Field(() => ServiceEntity, {
    nullable: true,
    description:
      "The service (what a card shows comes from the directory's copy; other fields from its partner).",
  })
  service!: unknown;
  @Field(() => DateScalar, { description: "Contract end date." }) contractEndDate!: string;
  @Field(() => Int, { description: "6 or 12: the window it falls in." }) withinMonths!: number;
  @Field(() => [Need], { description: "Needs for which it is the only provider in the area." })
  soleProviderFor!: string[];
}

@ObjectType("CoverageReport", {
  description: "Need × age-band coverage of a local authority, for commissioners.",
})
export class CoverageReport {
  @Field(() => String, { description: "Local authority GSS code." }) localAuthority!: string;
  @Field(() => [NeedCoverage], { description: "Matrix rows, one per need." })
  needs!: NeedCoverage[];
  @Field(() => [String], { description: "Gaps in words: need and age band with no service." })
  gaps!: string[];
  @Field(() => [EndingContract], {
    description: "Sole providers whose contracts end within 6 or 12 months.",
  })
  endingContracts!: EndingContract[];
  @Field(() => [Partner], { description: "Partners offline: their counts may be out of date." })
  offlinePartners!: string[];
}

// Arguments of searchServices. Values arrive as enums or plain data; nothing the user types is ever
// turned into filter syntax (the backends take these structurally).
import "reflect-metadata";
import { Field, Float, ID, InputType, Int, registerEnumType } from "type-graphql";
import {
  DateTimeScalar,
  DeliveryMode,
  Need,
  Partner,
  ReferralRoute,
  ServiceStatus,
} from "../../schema/enums.ts";

export enum NeedsMatch {
  ANY = "ANY",
  ALL = "ALL",
}
registerEnumType(NeedsMatch, {
  name: "NeedsMatch",
  description: "How a list of needs filters: ANY of them, or ALL of them on the same service.",
});

export enum SearchSort {
  RELEVANCE = "RELEVANCE",
  DISTANCE = "DISTANCE",
  NAME = "NAME",
  WAIT = "WAIT",
  CONTRACT_END = "CONTRACT_END",
}
registerEnumType(SearchSort, {
  name: "SearchSort",
  description: "Result order. Ties always break by id, so pages are stable.",
  valuesConfig: {
    RELEVANCE: {
      description:
        "Best text match first; without a query, nearest first when `near` is given, else by name.",
    },
    DISTANCE: { description: "Nearest first (needs `near`)." },
    NAME: { description: "Alphabetical." },
    WAIT: { description: "Shortest typical wait first; unknown waits last." },
    CONTRACT_END: { description: "Soonest contract end first (commissioners)." },
  },
});

export enum DayOfWeek {
  MO = "MO",
  TU = "TU",
  WE = "WE",
  TH = "TH",
  FR = "FR",
  SA = "SA",
  SU = "SU",
}
registerEnumType(DayOfWeek, {
  name: "DayOfWeek",
  description: "iCal day codes, Monday (MO) to Sunday (SU).",
});

@InputType("OpenAtInput", { description: "Open on a day, and optionally at a time of day." })
export class OpenAtInput {
  @Field(() => DayOfWeek, { description: "Day of the week." })
  day!: DayOfWeek;

  @Field(() => String, {
    nullable: true,
    description: 'Time of day, 24-hour "HH:MM" (UK local time).',
  })
  time?: string;
}

@InputType("AgeRangeWithinInput", {
  description:
    "The service's whole age range lies within these bounds (the ORUK API's minimum_age and maximum_age).",
})
export class AgeRangeWithinInput {
  @Field(() => Int, {
    nullable: true,
    description: "The service's minimum age is at least this (a service stating none counts as 0).",
  })
  minimumAge?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      "The service's maximum age is at most this (a service stating no maximum never matches).",
  })
  maximumAge?: number;
}

@InputType("SessionInput", {
  description:
    "One published session (schedule) that, on `day`, opens at or after `startsAtOrAfter` and closes at or before `endsAtOrBefore` (the ORUK API's day, start_time and end_time).",
})
export class SessionInput {
  @Field(() => DayOfWeek, {
    nullable: true,
    description: "Day of the week; any day when absent (a session naming no day counts only then).",
  })
  day?: DayOfWeek;

  @Field(() => String, {
    nullable: true,
    description:
      'Opens at or after this time, 24-hour "HH:MM" (a session giving no opening time never matches).',
  })
  startsAtOrAfter?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Closes at or before this time, 24-hour "HH:MM" (a session giving no closing time never matches).',
  })
  endsAtOrBefore?: string;
}

@InputType("ServiceFilter", {
  description: "Filters combine with AND; a list matches any of its values.",
})
export class ServiceFilter {
  @Field(() => [Need], {
    nullable: true,
    description: "Services meeting these needs (see needsMatch).",
  })
  needs?: string[];

  @Field(() => NeedsMatch, {
    nullable: true,
    defaultValue: NeedsMatch.ANY,
    description: "ANY (default) or ALL of `needs`.",
  })
  needsMatch?: NeedsMatch;

  @Field(() => Int, {
    nullable: true,
    description: "The child's age in years: services whose age range includes it.",
  })
  age?: number;

  @Field(() => [String], {
    nullable: true,
    description:
      "Local authority GSS codes the service covers, e.g. [\"E10000020\"]. Tiers nest: a district finds its county's services too, a county its districts'.",
  })
  localAuthorities?: string[];

  @Field(() => [Partner], { nullable: true, description: "Only these partners' services." })
  partners?: string[];

  @Field(() => Boolean, { nullable: true, description: "true: free services only." })
  freeOnly?: boolean;

  @Field(() => [ReferralRoute], {
    nullable: true,
    description: "Services accepting any of these referral routes, e.g. [SELF].",
  })
  referralRoutes?: string[];

  @Field(() => [String], { nullable: true, description: 'Language codes, e.g. ["cy", "pl"].' })
  languages?: string[];

  @Field(() => [DeliveryMode], { nullable: true, description: "Any of these delivery modes." })
  deliveryModes?: string[];

  @Field(() => Boolean, {
    nullable: true,
    description: "true: only services accepting referrals now.",
  })
  acceptingReferrals?: boolean;

  @Field(() => OpenAtInput, { nullable: true, description: "Open on a given day (and time)." })
  openAt?: OpenAtInput;

  @Field(() => [ServiceStatus], {
    nullable: true,
    description: "Statuses to include; default ACTIVE only.",
  })
  statuses?: string[];

  @Field(() => [ID], {
    nullable: true,
    description:
      "Only these services (global ids, at most 100), e.g. to fetch a known page of results again.",
  })
  ids?: string[];

  @Field(() => [ID], {
    nullable: true,
    description: 'Services of these organizations (global ids, e.g. ["council:org-1"]).',
  })
  organizations?: string[];

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "Services the partner changed at or after this time.",
  })
  modifiedSince?: Date;

  @Field(() => AgeRangeWithinInput, {
    nullable: true,
    description: "Services whose whole age range lies within bounds.",
  })
  ageRangeWithin?: AgeRangeWithinInput;

  @Field(() => SessionInput, {
    nullable: true,
    description: "Services with a session on a day, within opening and closing times.",
  })
  session?: SessionInput;

  @Field(() => [ID], {
    nullable: true,
    description:
      "Services tagged with any of these taxonomy terms (term ids as partners publish them).",
  })
  taxonomyTerms?: string[];

  @Field(() => [String], {
    nullable: true,
    description:
      'Services tagged with a term of any of these taxonomies: vocabulary names, e.g. ["esd"], or the ORUK API\'s taxonomy ids for them.',
  })
  taxonomies?: string[];

  @Field(() => [ID], {
    nullable: true,
    description:
      "The services holding these ORUK service_at_location ids (at most 100), as the gateway's /oruk/ API publishes them.",
  })
  serviceAtLocations?: string[];

  @Field(() => Int, {
    nullable: true,
    description:
      "Services with at least this many locations (to page over service–location pairs).",
  })
  minLocations?: number;
}

@InputType("NearInput", {
  description:
    "Search around a place: a UK postcode, or a latitude/longitude. Results are limited to the radius and carry distanceKm.",
})
export class NearInput {
  @Field(() => String, {
    nullable: true,
    description: 'A UK postcode, any spacing or case, e.g. "nr2 4ab".',
  })
  postcode?: string;

  @Field(() => Float, {
    nullable: true,
    description: "Latitude (WGS84), with longitude, instead of a postcode.",
  })
  latitude?: number;

  @Field(() => Float, { nullable: true, description: "Longitude (WGS84), with latitude." })
  longitude?: number;

  @Field(() => Float, {
    defaultValue: 10,
    description: "Radius in kilometres (0.1–200); default 10.",
  })
  radiusKm!: number;
}

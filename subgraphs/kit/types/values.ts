// Value types every partner returns. They are @shareable: each partner resolves them for its own
// services, and the directory declares them for the Service interface's fields.
import "reflect-metadata";
import { Directive, Field, Float, ID, Int, ObjectType } from "type-graphql";
import { AgeBand, DateScalar, DateTimeScalar } from "../../../schema/enums.ts";

@Directive("@shareable")
@ObjectType("AgeRange", {
  description: "Ages a service takes, in whole years, inclusive at both ends.",
})
export class AgeRange {
  @Field(() => Int, {
    nullable: true,
    description: "Youngest age taken (years); null means from birth.",
  })
  minimumAge!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: "Oldest age taken (years); null means no stated upper limit.",
  })
  maximumAge!: number | null;

  @Field(() => [AgeBand], {
    description: "Age bands the range overlaps; handy for facets and grouping.",
  })
  bands!: string[];
}

@Directive("@shareable")
@ObjectType("Capacity", {
  description: "Whether a service can take a referral now (Wayfinder extension to HSDS).",
})
export class Capacity {
  @Field(() => Boolean, { description: "True when the service is accepting new referrals." })
  acceptingReferrals!: boolean;

  @Field(() => Int, {
    nullable: true,
    description: "Typical wait from referral to first contact, in weeks.",
  })
  typicalWaitWeeks!: number | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the partner last confirmed capacity.",
  })
  updatedAt!: Date | null;

  @Field(() => Int, {
    description:
      "Hours the service takes to acknowledge a referral (Wayfinder extension referral_response_hours, else its partner's default); a referral not acknowledged in time is OVERDUE.",
  })
  referralResponseHours!: number;
}

@Directive("@shareable")
@ObjectType("Funding", {
  description:
    "How a service is funded. Short contracts are how gaps appear (Wayfinder extension).",
})
export class Funding {
  @Field(() => DateScalar, {
    nullable: true,
    description: "When the current contract or grant ends (YYYY-MM-DD).",
  })
  contractEndDate!: string | null;

  @Field(() => String, { nullable: true, description: "Who funds or commissions the service." })
  funder!: string | null;
}

@Directive("@shareable")
@ObjectType("Address", { description: "A postal address (HSDS address)." })
export class Address {
  @Field(() => String, { nullable: true, description: "First line of the address." })
  address1!: string | null;

  @Field(() => String, { nullable: true, description: "Town or city." })
  city!: string | null;

  @Field(() => String, { nullable: true, description: "County or region." })
  region!: string | null;

  @Field(() => String, { nullable: true, description: 'Full UK postcode, e.g. "NR2 4AB".' })
  postalCode!: string | null;

  @Field(() => String, { description: "ISO 3166 country code." })
  country!: string;
}

@Directive("@shareable")
@ObjectType("ExactLocation", {
  description:
    "A location's exact address and position, confidential places included. Professionals only.",
})
export class ExactLocation {
  @Field(() => Address, { nullable: true, description: "Postal address." })
  address!: Address | null;

  @Field(() => Float, { nullable: true, description: "WGS84 latitude." })
  latitude!: number | null;

  @Field(() => Float, { nullable: true, description: "WGS84 longitude." })
  longitude!: number | null;
}

@Directive("@shareable")
@ObjectType("Location", {
  description:
    "Where a service is delivered (HSDS location). A confidential location (such as a refuge) never shows its address or exact position to the public: `address`, `latitude` and `longitude` are null and `area` says roughly where it is.",
})
export class Location {
  @Field(() => ID, { description: "The partner's location id." })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Name of the place, e.g. "Pill Family Hub".',
  })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "Directions, access notes and the like." })
  description!: string | null;

  @Field(() => String, { description: "HSDS location type: physical, postal or virtual." })
  locationType!: string;

  @Field(() => Boolean, { description: "True for places whose address must never be public." })
  confidential!: boolean;

  @Field(() => Float, { nullable: true, description: "WGS84 latitude; null when confidential." })
  latitude!: number | null;

  @Field(() => Float, { nullable: true, description: "WGS84 longitude; null when confidential." })
  longitude!: number | null;

  @Field(() => Address, { nullable: true, description: "Postal address; null when confidential." })
  address!: Address | null;

  @Field(() => String, {
    nullable: true,
    description:
      'A public, area-level description: the town and postcode district (e.g. "Norwich, NR2").',
  })
  area!: string | null;

  @Directive('@requiresScopes(scopes: [["professional"]])')
  @Field(() => ExactLocation, {
    nullable: true,
    description:
      "Exact address and position, including for confidential places. Signed-in professionals only.",
  })
  exact!: ExactLocation | null;
}

@Directive("@shareable")
@ObjectType("Schedule", {
  description: "When a service runs (HSDS schedule, iCal-style recurrence).",
})
export class Schedule {
  @Field(() => ID, { description: "The partner's schedule id." })
  id!: string;

  @Field(() => String, { nullable: true, description: "Recurrence frequency, e.g. WEEKLY." })
  freq!: string | null;

  @Field(() => [String], { description: "Days it runs, as iCal day codes (MO, TU, …)." })
  byDay!: string[];

  @Field(() => String, { nullable: true, description: "Opening time, HH:MM (UK local time)." })
  opensAt!: string | null;

  @Field(() => String, { nullable: true, description: "Closing time, HH:MM (UK local time)." })
  closesAt!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Schedule in words, as the partner wrote it.",
  })
  description!: string | null;
}

@Directive("@shareable")
@ObjectType("CostOption", { description: "What a service costs (HSDS cost_option)." })
export class CostOption {
  @Field(() => ID, { description: "The partner's cost option id." })
  id!: string;

  @Field(() => String, { nullable: true, description: "What the price is for." })
  option!: string | null;

  @Field(() => Float, {
    nullable: true,
    description: "Amount in `currency`; 0 or null means free.",
  })
  amount!: number | null;

  @Field(() => String, { nullable: true, description: "ISO 4217 currency, usually GBP." })
  currency!: string | null;

  @Field(() => String, { nullable: true, description: "The price in words (e.g. concessions)." })
  amountDescription!: string | null;
}

@Directive("@shareable")
@ObjectType("Contact", { description: "A way to contact a service (HSDS contact with phone)." })
export class Contact {
  @Field(() => ID, { description: "The partner's contact id." })
  id!: string;

  @Field(() => String, { nullable: true, description: "Person or team name." })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "Role or job title." })
  title!: string | null;

  @Field(() => String, { nullable: true, description: "Email address." })
  email!: string | null;

  @Field(() => String, { nullable: true, description: "Telephone number." })
  phone!: string | null;
}

@Directive("@shareable")
@ObjectType("Language", { description: "A language a service is offered in (HSDS language)." })
export class Language {
  @Field(() => String, { description: 'Language name in English, e.g. "Welsh".' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'ISO 639 code, e.g. "cy".' })
  code!: string | null;
}

@Directive("@shareable")
@ObjectType("TaxonomyTerm", {
  description: "A term from a published taxonomy the partner tags a service with.",
})
export class TaxonomyTerm {
  @Field(() => ID, { description: "Term id within its taxonomy." })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Term code, e.g. "fh-cat-3-2".' })
  code!: string | null;

  @Field(() => String, { description: "Term name." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Which taxonomy the term comes from." })
  vocabulary!: string | null;
}

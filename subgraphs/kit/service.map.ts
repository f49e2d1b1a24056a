// Database rows → GraphQL objects. Privacy rules that apply to everyone live here, so no resolver
// can forget them: a confidential location never leaves with its address or exact position.
import { ageBandsFor, HSDS_STATUS, PARTNER_INFO, type PartnerId } from "../../schema/vocabulary.ts";

/** Hours to acknowledge a referral when neither the service nor its partner's manifest says. */
export const DEFAULT_REFERRAL_RESPONSE_HOURS = 72;
import type {
  ChildKind,
  ChildRows,
  ContactRow,
  CostOptionRow,
  LanguageRow,
  LocationRow,
  OrganizationRow,
  ScheduleRow,
  ServiceAreaRow,
  ServiceRow,
  TaxonomyRow,
} from "./service.data.ts";

export const globalId = (partner: PartnerId, hsdsId: string) => `${partner}:${hsdsId}`;

/** Splits "council:abc" into its partner and HSDS id; null when it is not one of ours. */
export function parseGlobalId(id: string): { partner: string; hsdsId: string } | null {
  const i = id.indexOf(":");
  if (i <= 0 || i === id.length - 1) return null;
  return { partner: id.slice(0, i), hsdsId: id.slice(i + 1) };
}

export interface ServiceModel {
  __typename: string;
  id: string;
  hsdsId: string;
  partner: PartnerId;
  organizationId: string;
  name: string;
  alternateName: string | null;
  description: string;
  status: string;
  url: string | null;
  email: string | null;
  applicationProcess: string | null;
  fees: string | null;
  eligibilityDescription: string | null;
  alert: string | null;
  ageRange: { minimumAge: number | null; maximumAge: number | null; bands: string[] };
  needs: string[];
  referralRoutes: string[];
  deliveryModes: string[];
  capacity: {
    acceptingReferrals: boolean;
    typicalWaitWeeks: number | null;
    updatedAt: Date | null;
    referralResponseHours: number;
  };
  funding: { contractEndDate: string | null; funder: string | null };
  referralNotes: string | null;
  lastModified: Date;
  version: number;
}

const dateOnly = (v: string | Date | null) =>
  v === null ? null : typeof v === "string" ? v.slice(0, 10) : v.toISOString().slice(0, 10);

export function toService(partner: PartnerId, row: ServiceRow): ServiceModel {
  return {
    __typename: `${PARTNER_INFO[partner].typePrefix}Service`,
    id: globalId(partner, row.id),
    hsdsId: row.id,
    partner,
    organizationId: row.organization_id,
    name: row.name,
    alternateName: row.alternate_name,
    description: row.description,
    status: HSDS_STATUS[row.status] ?? "INACTIVE",
    url: row.url,
    email: row.email,
    applicationProcess: row.application_process,
    fees: row.fees_description,
    eligibilityDescription: row.eligibility_description,
    alert: row.alert,
    ageRange: {
      minimumAge: row.minimum_age,
      maximumAge: row.maximum_age,
      bands: ageBandsFor(row.minimum_age, row.maximum_age),
    },
    needs: row.needs,
    referralRoutes: row.referral_routes,
    deliveryModes: row.delivery_modes,
    capacity: {
      acceptingReferrals: row.accepting_referrals,
      typicalWaitWeeks: row.typical_wait_weeks,
      updatedAt: row.capacity_updated_at,
      referralResponseHours:
        row.referral_response_hours ??
        PARTNER_INFO[partner]?.referralResponseHours ??
        DEFAULT_REFERRAL_RESPONSE_HOURS,
    },
    funding: { contractEndDate: dateOnly(row.contract_end_date), funder: row.funder },
    referralNotes: row.referral_notes,
    lastModified: row.last_modified,
    version: row.version,
  };
}

export interface OrganizationModel {
  __typename: string;
  id: string;
  hsdsId: string;
  name: string;
  description: string;
  url: string | null;
  email: string | null;
  charityNumber: string | null;
}

export function toOrganization(partner: PartnerId, row: OrganizationRow): OrganizationModel {
  return {
    __typename: `${PARTNER_INFO[partner].typePrefix}Organization`,
    id: globalId(partner, row.id),
    hsdsId: row.id,
    name: row.name,
    description: row.description,
    url: row.url,
    email: row.email,
    charityNumber: row.charity_number,
  };
}

/** The postcode district ("NR2") of a full postcode: public even for confidential places. */
export const outwardCode = (postcode: string | null) =>
  postcode ? (postcode.trim().toUpperCase().split(/\s+/)[0] ?? null) : null;

export function toLocation(row: LocationRow) {
  const area = [row.city, outwardCode(row.postal_code)].filter(Boolean).join(", ") || null;
  const hidden = row.confidential;
  const address = {
    address1: row.address_1,
    city: row.city,
    region: row.region,
    postalCode: row.postal_code,
    country: row.country,
  };
  return {
    id: row.id,
    name: hidden ? "Confidential location" : row.name,
    description: hidden ? null : row.description,
    locationType: row.location_type,
    confidential: row.confidential,
    latitude: hidden ? null : row.latitude,
    longitude: hidden ? null : row.longitude,
    address: hidden ? null : address,
    area,
    // Served only through the professionals-only `exact` field (see scopes.ts).
    exact: { address, latitude: row.latitude, longitude: row.longitude },
  };
}

const MAPPERS: { [K in ChildKind]: (row: ChildRows[K]) => unknown } = {
  locations: toLocation,
  serviceAreas: (r: ServiceAreaRow) => ({ code: r.local_authority_code }),
  schedules: (r: ScheduleRow) => ({
    id: r.id,
    freq: r.freq,
    byDay: r.byday
      ? r.byday
          .split(",")
          .map((d) => d.trim())
          .filter(Boolean)
      : [],
    opensAt: r.opens_at,
    closesAt: r.closes_at,
    description: r.description,
  }),
  costOptions: (r: CostOptionRow) => ({
    id: r.id,
    option: r.option,
    amount: r.amount === null ? null : Number(r.amount),
    currency: r.currency,
    amountDescription: r.amount_description,
  }),
  contacts: (r: ContactRow) => ({
    id: r.id,
    name: r.name,
    title: r.title,
    email: r.email,
    phone: r.phone,
    professionalOnly: r.professional_only,
  }),
  languages: (r: LanguageRow) => ({ name: r.name, code: r.code }),
  taxonomyTerms: (r: TaxonomyRow) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    vocabulary: r.vocabulary,
  }),
};

export function mapChild<K extends ChildKind>(kind: K, row: ChildRows[K]) {
  return MAPPERS[kind](row);
}

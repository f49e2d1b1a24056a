// Types of the import file: HSDS 3.0 / Open Referral UK objects, plus Wayfinder's additions kept
// under a `wayfinder` object so a plain ORUK feed is still a valid file. See docs/import-format.md.
// Only the fields Wayfinder reads are typed; HSDS allows any others, and the importer ignores them.

type Maybe<T> = T | null | undefined;

export interface HsdsOrganizationIdentifier {
  id?: Maybe<string>;
  /** org-id.guide scheme: "GB-CHC" (Charity Commission), "GB-SC" (OSCR), "GB-NIC", "GB-COH" … */
  identifier_scheme?: Maybe<string>;
  identifier_type?: Maybe<string>;
  identifier?: Maybe<string>;
}

export interface HsdsOrganization {
  id: string;
  name: string;
  description?: Maybe<string>;
  email?: Maybe<string>;
  /** HSDS 3.0 name; `url` (HSDS 2) is read too. */
  website?: Maybe<string>;
  url?: Maybe<string>;
  legal_status?: Maybe<string>;
  organization_identifiers?: Maybe<HsdsOrganizationIdentifier[]>;
  wayfinder?: Maybe<{ charity_number?: Maybe<string> }>;
}

export interface HsdsAddress {
  id?: Maybe<string>;
  address_1?: Maybe<string>;
  address_2?: Maybe<string>;
  city?: Maybe<string>;
  region?: Maybe<string>;
  state_province?: Maybe<string>;
  postal_code?: Maybe<string>;
  country?: Maybe<string>;
  /** "physical" | "postal" | "virtual"; a physical address is preferred when there are several. */
  address_type?: Maybe<string>;
}

export interface HsdsLocation {
  id: string;
  /** HSDS enum: "physical" | "postal" | "virtual"; defaults to "physical". */
  location_type?: Maybe<string>;
  organization_id?: Maybe<string>;
  name?: Maybe<string>;
  description?: Maybe<string>;
  latitude?: Maybe<number>;
  longitude?: Maybe<number>;
  addresses?: Maybe<HsdsAddress[]>;
  wayfinder?: Maybe<WayfinderLocationExtension>;
}

export interface WayfinderLocationExtension {
  /** A refuge, say: the address and exact position are never shown to the public. */
  confidential?: Maybe<boolean>;
}

export interface HsdsServiceAtLocation {
  id: string;
  description?: Maybe<string>;
  /** Either the location nested here, or the id of a location given elsewhere in the file. */
  location?: Maybe<HsdsLocation>;
  location_id?: Maybe<string>;
}

export interface HsdsServiceArea {
  id: string;
  name?: Maybe<string>;
  description?: Maybe<string>;
  /** With extent_type "gss": an ONS GSS code such as "E10000020". */
  extent?: Maybe<string>;
  extent_type?: Maybe<string>;
  /** e.g. http://statistics.data.gov.uk/id/statistical-geography/E10000020 */
  uri?: Maybe<string>;
}

export interface HsdsSchedule {
  id: string;
  freq?: Maybe<string>;
  interval?: Maybe<number>;
  /** RFC 5545 BYDAY list: "MO,TU,WE", optionally with ordinals ("1MO", "-1FR"). */
  byday?: Maybe<string>;
  /** "HH:MM" or "HH:MM:SS" */
  opens_at?: Maybe<string>;
  closes_at?: Maybe<string>;
  valid_from?: Maybe<string>;
  valid_to?: Maybe<string>;
  description?: Maybe<string>;
}

export interface HsdsCostOption {
  id: string;
  option?: Maybe<string>;
  amount?: Maybe<number>;
  /** ISO 4217; defaults to GBP. */
  currency?: Maybe<string>;
  amount_description?: Maybe<string>;
  valid_from?: Maybe<string>;
  valid_to?: Maybe<string>;
}

export interface HsdsPhone {
  id: string;
  number: string;
  extension?: Maybe<number | string>;
  type?: Maybe<string>;
  description?: Maybe<string>;
}

export interface HsdsContact {
  id: string;
  name?: Maybe<string>;
  title?: Maybe<string>;
  department?: Maybe<string>;
  email?: Maybe<string>;
  phones?: Maybe<HsdsPhone[]>;
  wayfinder?: Maybe<WayfinderContactExtension>;
}

export interface WayfinderContactExtension {
  /** Duty desks and direct lines: shown to professionals, hidden from the public. */
  professional_only?: Maybe<boolean>;
}

export interface HsdsLanguage {
  id: string;
  name?: Maybe<string>;
  /** ISO 639-1 or 639-3 ("en", "cy", "bfi" for BSL). */
  code?: Maybe<string>;
  note?: Maybe<string>;
}

export interface HsdsTaxonomyTerm {
  id: string;
  code?: Maybe<string>;
  /** HSDS 3.0 `name`; ORUK examples also carry `term`. */
  name?: Maybe<string>;
  term?: Maybe<string>;
  description?: Maybe<string>;
  /** HSDS 3.0 `taxonomy`; `vocabulary` (HSDS 2 / ORUK 2) is read too. */
  taxonomy?: Maybe<string>;
  vocabulary?: Maybe<string>;
  taxonomy_id?: Maybe<string>;
  taxonomy_detail?: Maybe<HsdsTaxonomy>;
  parent_id?: Maybe<string>;
  term_uri?: Maybe<string>;
}

/** An HSDS 3.0 taxonomy: a vocabulary such as esdServiceTypes or the DfE service categories. */
export interface HsdsTaxonomy {
  id: string;
  name: string;
  description?: Maybe<string>;
  uri?: Maybe<string>;
  version?: Maybe<string>;
}

export interface HsdsAttribute {
  id: string;
  link_type?: Maybe<string>;
  value?: Maybe<string>;
  taxonomy_term_id?: Maybe<string>;
  taxonomy_term?: Maybe<HsdsTaxonomyTerm>;
}

export interface WayfinderCapacity {
  accepting_referrals?: Maybe<boolean>;
  typical_wait_weeks?: Maybe<number>;
  /** ISO date-time the capacity figures were last confirmed. */
  updated_at?: Maybe<string>;
}

/** Wayfinder's children's-services fields, which HSDS lacks. Every field is optional. */
export interface WayfinderServiceExtension {
  /** NEEDS codes from schema/vocabulary.ts */
  needs?: Maybe<string[]>;
  /** REFERRAL_ROUTES codes */
  referral_routes?: Maybe<string[]>;
  /** DELIVERY_MODES codes */
  delivery_modes?: Maybe<string[]>;
  capacity?: Maybe<WayfinderCapacity>;
  /** YYYY-MM-DD */
  contract_end_date?: Maybe<string>;
  funder?: Maybe<string>;
  /** Referral guidance for professionals. */
  referral_notes?: Maybe<string>;
  /** Hours the service takes to acknowledge a referral (unset: the partner's default). */
  referral_response_hours?: Maybe<number>;
}

/** An HSDS 3.0 service_full object. */
export interface HsdsService {
  id: string;
  name: string;
  /** "active" | "temporarily closed" | "inactive" | "defunct" (validateHsds also reads "temporarily_closed"). */
  status: string;
  /** Either the organization nested here, or the id of one given elsewhere in the file. */
  organization_id?: Maybe<string>;
  organization?: Maybe<HsdsOrganization>;
  alternate_name?: Maybe<string>;
  description?: Maybe<string>;
  url?: Maybe<string>;
  email?: Maybe<string>;
  application_process?: Maybe<string>;
  fees_description?: Maybe<string>;
  /** Deprecated in HSDS 3.0 in favour of fees_description; read when that is absent. */
  fees?: Maybe<string>;
  eligibility_description?: Maybe<string>;
  minimum_age?: Maybe<number>;
  maximum_age?: Maybe<number>;
  alert?: Maybe<string>;
  service_at_locations?: Maybe<HsdsServiceAtLocation[]>;
  service_areas?: Maybe<HsdsServiceArea[]>;
  schedules?: Maybe<HsdsSchedule[]>;
  cost_options?: Maybe<HsdsCostOption[]>;
  contacts?: Maybe<HsdsContact[]>;
  phones?: Maybe<HsdsPhone[]>;
  languages?: Maybe<HsdsLanguage[]>;
  attributes?: Maybe<HsdsAttribute[]>;
  wayfinder?: Maybe<WayfinderServiceExtension>;
}

/** One partner's staff delivering another partner's service. */
export interface WayfinderCoDelivery {
  id: string;
  /** "<partner>:<service id>" of the owning partner, e.g. "council:3f0c…". */
  service_ref: string;
  /** An organization of the importing partner (in the same file). */
  organization_id: string;
  role: string;
  /** Share of the service's staff this organization provides, 0..1. */
  staff_share?: Maybe<number>;
  contact_email?: Maybe<string>;
}

/** The normalized file: what validateHsds returns and the generator writes. */
export interface HsdsBundle {
  /** What the file was, in words (set by validateHsds): "an HSDS 3.0 / ORUK page of 1 services (contents)". */
  kind?: string;
  /** Vocabularies and their terms given on their own (taxonomy files), not through services. */
  taxonomies?: HsdsTaxonomy[];
  taxonomy_terms?: HsdsTaxonomyTerm[];
  organizations: HsdsOrganization[];
  services: HsdsService[];
  co_deliveries: WayfinderCoDelivery[];
  /** Locations services refer to by `location_id` (nested locations need not be listed here). */
  locations?: HsdsLocation[];
}

/** An ORUK paginated response page (GET /services). */
export interface OrukPage {
  contents: HsdsService[];
  total_items?: number;
  total_pages?: number;
  page_number?: number;
  size?: number;
  first_page?: boolean;
  last_page?: boolean;
  empty?: boolean;
}

/** Everything the importer accepts (see shapes.ts): a bundle, a list or page of records, one record. */
export type HsdsFile = Partial<HsdsBundle> | HsdsService[] | OrukPage | HsdsService;

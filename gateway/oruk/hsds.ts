// GraphQL results → HSDS 3.0 records (the shapes of the official JSON Schemas), for the ORUK API.
// Only what GraphQL returned is written: masking (confidential places, professional-only fields)
// has already happened in the partners, under the caller's own claims.
import { serviceAtLocationId, taxonomyId, uuidFor } from "../../schema/hsds-ids.ts";

type Obj = Record<string, unknown>;

/** "council:6c1f…" → "6c1f…": HSDS ids are the partner's own. */
export const ownId = (id: string) => (id.includes(":") ? id.slice(id.indexOf(":") + 1) : id);

export const NEEDS_TAXONOMY = {
  id: taxonomyId("wayfinder-needs"),
  name: "Wayfinder needs",
  description: "The needs Wayfinder routes children's services by (schema/vocabulary.ts NEEDS).",
  uri: "https://wayfinder.example/taxonomies/needs",
  version: "1",
};

export interface NeedInfo {
  code: string;
  label: string;
  description: string;
}

export function needTerm(n: NeedInfo): Obj {
  return {
    id: uuidFor(`need:${n.code}`),
    code: n.code,
    name: n.label,
    description: n.description,
    taxonomy: NEEDS_TAXONOMY.name,
    taxonomy_id: NEEDS_TAXONOMY.id,
    taxonomy_detail: NEEDS_TAXONOMY,
  };
}

const STATUS: Record<string, string> = {
  ACTIVE: "active",
  TEMPORARILY_CLOSED: "temporarily closed",
  INACTIVE: "inactive",
  DEFUNCT: "defunct",
};

const isUri = (v: unknown): v is string =>
  typeof v === "string" && /^[a-z][a-z0-9+.-]*:\S+$/i.test(v);
const isEmail = (v: unknown): v is string =>
  typeof v === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);

/** Drops null/undefined members: HSDS types most fields as plain strings, not nullable. */
function clean<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}

export function organizationRecord(org: Obj): Obj {
  return clean({
    id: ownId(String(org.id)),
    name: org.name,
    description: org.description ?? "",
    email: isEmail(org.email) ? org.email : undefined,
    website: isUri(org.url) ? org.url : undefined,
  });
}

function addressRecord(locationId: string, a: Obj | null | undefined): Obj[] {
  // The schema requires every one of these; a masked (area-only) address is left out whole.
  if (!a || !a.address1 || !a.city || !a.postalCode) return [];
  return [
    {
      id: uuidFor(`address:${locationId}`),
      location_id: locationId,
      address_1: a.address1,
      city: a.city,
      state_province: a.region ?? "",
      postal_code: a.postalCode,
      country: a.country ?? "GB",
      address_type: "physical",
    },
  ];
}

export function locationRecord(l: Obj): Obj {
  const id = ownId(String(l.id));
  const exact = (l.exact ?? null) as Obj | null;
  const lat = exact?.latitude ?? l.latitude;
  const lng = exact?.longitude ?? l.longitude;
  return clean({
    id,
    location_type: ["physical", "postal", "virtual"].includes(String(l.locationType))
      ? l.locationType
      : "physical",
    name: l.name,
    description: l.description,
    latitude: typeof lat === "number" ? lat : undefined,
    longitude: typeof lng === "number" ? lng : undefined,
    addresses: addressRecord(id, (exact?.address ?? l.address) as Obj | null),
    wayfinder: { confidential: !!l.confidential },
  });
}

/** A service_full record from a GraphQL Service (see SERVICE_FIELDS in routes.ts). */
export function serviceRecord(s: Obj, needs: ReadonlyMap<string, NeedInfo>): Obj {
  const id = String(s.hsdsId);
  const org = s.organization as Obj;
  const ages = (s.ageRange ?? {}) as Obj;
  const capacity = (s.capacity ?? {}) as Obj;
  const funding = (s.funding ?? {}) as Obj;
  const contacts = [...((s.contacts ?? []) as Obj[]), ...((s.professionalContacts ?? []) as Obj[])];
  const needCodes = (s.needs ?? []) as string[];
  const terms = (s.taxonomyTerms ?? []) as Obj[];
  return clean({
    id,
    organization_id: ownId(String(org.id)),
    name: s.name,
    alternate_name: s.alternateName,
    description: s.description ?? "",
    url: isUri(s.url) ? s.url : undefined,
    email: isEmail(s.email) ? s.email : undefined,
    status: STATUS[String(s.status)] ?? "active",
    application_process: s.applicationProcess,
    fees_description: s.fees,
    eligibility_description: s.eligibilityDescription,
    minimum_age: ages.minimumAge,
    maximum_age: ages.maximumAge,
    alert: s.alert,
    last_modified: s.lastModified,
    organization: organizationRecord(org),
    service_at_locations: ((s.locations ?? []) as Obj[]).map((l) => ({
      id: serviceAtLocationId(id, ownId(String(l.id))),
      service_id: id,
      location_id: ownId(String(l.id)),
      location: locationRecord(l),
    })),
    service_areas: ((s.serviceAreas ?? []) as Obj[]).map((a) => ({
      id: uuidFor(`service_area:${id}:${a.code}`),
      service_id: id,
      name: a.name,
      extent: a.code,
      extent_type: "gss",
      uri: `http://statistics.data.gov.uk/id/statistical-geography/${a.code}`,
    })),
    schedules: ((s.schedules ?? []) as Obj[]).map((x) =>
      clean({
        id: ownId(String(x.id)),
        service_id: id,
        freq: x.freq,
        byday: ((x.byDay ?? []) as string[]).join(",") || undefined,
        opens_at: x.opensAt,
        closes_at: x.closesAt,
        description: x.description,
      }),
    ),
    cost_options: ((s.costOptions ?? []) as Obj[]).map((c) =>
      clean({
        id: ownId(String(c.id)),
        service_id: id,
        option: c.option,
        amount: c.amount,
        currency: c.currency,
        amount_description: c.amountDescription,
      }),
    ),
    contacts: contacts.map((c) =>
      clean({
        id: ownId(String(c.id)),
        service_id: id,
        name: c.name,
        title: c.title,
        email: isEmail(c.email) ? c.email : undefined,
        phones: c.phone ? [{ id: uuidFor(`phone:${String(c.id)}`), number: c.phone }] : [],
      }),
    ),
    languages: ((s.languages ?? []) as Obj[]).map((l, i) =>
      clean({ id: uuidFor(`language:${id}:${i}`), service_id: id, name: l.name, code: l.code }),
    ),
    attributes: [
      ...needCodes.map((code) => {
        const term = needTerm(needs.get(code) ?? { code, label: code, description: code });
        return {
          id: uuidFor(`attribute:${id}:need:${code}`),
          link_id: id,
          link_type: "need",
          link_entity: "service",
          taxonomy_term_id: term.id,
          taxonomy_term: term,
        };
      }),
      ...terms.map((t) => ({
        id: uuidFor(`attribute:${id}:${String(t.id)}`),
        link_id: id,
        link_entity: "service",
        taxonomy_term_id: ownId(String(t.id)),
        taxonomy_term: clean({
          id: ownId(String(t.id)),
          code: t.code,
          name: t.name,
          description: t.name,
          taxonomy: t.vocabulary,
        }),
      })),
    ],
    // Wayfinder's extension, so a Wayfinder reading this feed (or a round trip) keeps it.
    wayfinder: clean({
      needs: needCodes,
      referral_routes: s.referralRoutes,
      delivery_modes: s.deliveryModes,
      capacity: clean({
        accepting_referrals: capacity.acceptingReferrals,
        typical_wait_weeks: capacity.typicalWaitWeeks,
        updated_at: capacity.updatedAt,
      }),
      contract_end_date: funding.contractEndDate,
      funder: funding.funder,
      referral_notes: s.referralNotes,
    }),
  });
}

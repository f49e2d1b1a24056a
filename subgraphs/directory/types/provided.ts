// The directory as the read model. Where the directory hands out a service it found in its own copy
// (a search hit, a routed service, a contract ending), it also answers the fields a result, a plan
// and a service card show, with Federation's @provides: on those fields only, the gateway takes the
// listed @external fields from the directory instead of asking the owning partner. Everything else
// (exact location, referral notes, contacts, co-delivery …) still comes from the owner, and
// `service(id)` and partner queries are untouched: the partner stays the source of truth.
//
// Why @provides and not @shareable: @shareable would make the directory a second owner of these
// fields everywhere, so the planner could answer `service(id) { name }` or a mutation's result from a
// copy that lags the partner by a sync interval. @provides scopes the copy to the directory's own
// result lists, whose filters already ran on that copy: what a page shows is what it matched on.
import { PARTNERS, PARTNER_INFO } from "../../../schema/vocabulary.ts";
import type { ServiceCard, ServiceDoc } from "../search/types.ts";
import { localAuthority, type LocalAuthority } from "./entities.ts";

// `organization` is an interface: the planner checks every implementation the field could return,
// so each one's name is listed (a service's organization is in fact always its own partner's).
const ORGANIZATION_NAME = PARTNERS.map(
  (p) => `... on ${PARTNER_INFO[p].typePrefix}Organization { name }`,
).join(" ");

/** The fields of one partner's service the directory's copy holds, as a selection set. */
function providedSelection(): string {
  return [
    "hsdsId name description status alert needs referralRoutes deliveryModes lastModified",
    "ageRange { minimumAge maximumAge bands }",
    "capacity { acceptingReferrals typicalWaitWeeks updatedAt }",
    "funding { contractEndDate funder }",
    `organization { ${ORGANIZATION_NAME} }`,
    "locations { id name locationType confidential area }",
    "serviceAreas { code }",
  ].join(" ");
}

/** `@provides` for a field of type `Service` that the directory fills from its copy. */
export const PROVIDES_SERVICE_CARD = `@provides(fields: "${PARTNERS.map(
  (p) => `... on ${PARTNER_INFO[p].typePrefix}Service { ${providedSelection()} }`,
).join(" ")}")`;

/** A copy stored before cards existed: what can be derived (the next full sync replaces it). */
function derivedCard(doc: ServiceDoc): ServiceCard {
  return {
    organizationId: `${doc.partner}:unknown`,
    minimumAge: doc.minAge,
    maximumAge: doc.maxAge,
    funder: null,
    capacityUpdatedAt: null,
    locations: [],
  };
}

const hsdsIdOf = (id: string) => id.slice(id.indexOf(":") + 1);

/**
 * The `Service` object the directory returns for a document: its key and `partner` (the
 * directory's own fields), plus every provided field, from this one document.
 */
export function serviceFromDoc(doc: ServiceDoc) {
  const card = doc.card ?? derivedCard(doc);
  return {
    id: doc.id,
    partner: doc.partner.toUpperCase(),
    hsdsId: hsdsIdOf(doc.id),
    name: doc.name,
    description: doc.description,
    status: doc.status,
    alert: doc.alert,
    needs: doc.needs,
    referralRoutes: doc.referralRoutes,
    deliveryModes: doc.deliveryModes,
    lastModified: new Date(doc.lastModified),
    ageRange: { minimumAge: card.minimumAge, maximumAge: card.maximumAge, bands: doc.ageBands },
    capacity: {
      acceptingReferrals: doc.acceptingReferrals,
      typicalWaitWeeks: doc.typicalWaitWeeks,
      updatedAt: card.capacityUpdatedAt ? new Date(card.capacityUpdatedAt) : null,
    },
    funding: { contractEndDate: doc.contractEndDate, funder: card.funder },
    organization: { id: card.organizationId, name: doc.organizationName },
    locations: card.locations,
    serviceAreas: doc.localAuthorities
      .map(localAuthority)
      .filter((la): la is LocalAuthority => la !== null),
  };
}

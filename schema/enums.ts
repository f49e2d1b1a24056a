// GraphQL enums and scalars built from the shared vocabulary, registered once for every subgraph.
import "reflect-metadata";
import { registerEnumType } from "type-graphql";
import { DateResolver, DateTimeResolver } from "graphql-scalars";
import {
  AGE_BANDS,
  DELIVERY_MODES,
  NEEDS,
  PARTNERS,
  PARTNER_INFO,
  REFERRAL_ROUTES,
  SERVICE_STATUSES,
} from "./vocabulary.ts";

export const DateScalar = DateResolver;
export const DateTimeScalar = DateTimeResolver;

function enumOf(codes: readonly string[]): Record<string, string> {
  return Object.fromEntries(codes.map((c) => [c, c]));
}

export const Need = enumOf(NEEDS.map((n) => n.code));
registerEnumType(Need, {
  name: "Need",
  description:
    "A need a service meets, from Wayfinder's shared vocabulary (mapped to DfE family hubs categories, SEND primary-need codes, children-in-need codes and Supporting Families outcomes). Query `needs` for labels and sources.",
  valuesConfig: Object.fromEntries(
    NEEDS.map((n) => [n.code, { description: `${n.label}: ${n.description}` }]),
  ),
});

export const AgeBand = enumOf(AGE_BANDS.map((b) => b.code));
registerEnumType(AgeBand, {
  name: "AgeBand",
  description: "Age bands used for filters, facets and coverage.",
  valuesConfig: Object.fromEntries(AGE_BANDS.map((b) => [b.code, { description: b.label }])),
});

export const ReferralRoute = enumOf(REFERRAL_ROUTES.map((r) => r.code));
registerEnumType(ReferralRoute, {
  name: "ReferralRoute",
  description: "Who can refer a child to a service.",
  valuesConfig: Object.fromEntries(REFERRAL_ROUTES.map((r) => [r.code, { description: r.label }])),
});

export const ServiceStatus = enumOf(SERVICE_STATUSES);
registerEnumType(ServiceStatus, {
  name: "ServiceStatus",
  description: "HSDS service status, plus TEMPORARILY_CLOSED (UK practice; HSDS lacks it).",
  valuesConfig: {
    ACTIVE: { description: "Running and taking people." },
    TEMPORARILY_CLOSED: { description: "Paused; expected to reopen." },
    INACTIVE: { description: "Not currently running." },
    DEFUNCT: { description: "Closed for good." },
  },
});

export const DeliveryMode = enumOf(DELIVERY_MODES);
registerEnumType(DeliveryMode, {
  name: "DeliveryMode",
  description: "How a service is delivered.",
  valuesConfig: {
    IN_PERSON: { description: "At one of the service's locations." },
    ONLINE: { description: "Online (video, chat or web)." },
    TELEPHONE: { description: "By telephone." },
    HOME_VISIT: { description: "At the family's home." },
  },
});

export const Partner = enumOf(PARTNERS.map((p) => p.toUpperCase()));
registerEnumType(Partner, {
  name: "Partner",
  description:
    "The agency that owns a record: each partner runs its own subgraph over its own database.",
  valuesConfig: Object.fromEntries(
    PARTNERS.map((p) => [p.toUpperCase(), { description: PARTNER_INFO[p].description }]),
  ),
});

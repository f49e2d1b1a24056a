// Query cost as an upper bound on the objects a response can hold, computed from the request's own
// argument values (variables resolved) before anything is sent to a partner. Every list field has a
// bound: a `first` argument (its value, or its default), or a declared assumed size below. A list
// field with neither is counted at UNDECLARED_LIST_SIZE, and tests/security/cost.test.ts fails until
// it is declared, so a new list can never be counted as one item.
import {
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

// The gateway's schema is built by @apollo/gateway, which may load the other (CommonJS) copy of
// graphql than this module (ESM): graphql's instanceof-based predicates would answer false for
// every type. Types are told apart by their toStringTag instead, and argument values read here.
type Tag =
  | "GraphQLList"
  | "GraphQLNonNull"
  | "GraphQLObjectType"
  | "GraphQLInterfaceType"
  | "GraphQLUnionType";
const tagOf = (t: unknown): string =>
  (t as { [Symbol.toStringTag]?: string })?.[Symbol.toStringTag] ?? "";
const is = (t: unknown, tag: Tag) => tagOf(t) === tag;
const unwrapNonNull = (t: GraphQLType): GraphQLType =>
  is(t, "GraphQLNonNull") ? (t as { ofType: GraphQLType }).ofType : t;
function namedType(t: GraphQLType): GraphQLType {
  let x = t;
  while (is(x, "GraphQLNonNull") || is(x, "GraphQLList")) x = (x as { ofType: GraphQLType }).ofType;
  return x;
}
const isList = (t: GraphQLType) => is(unwrapNonNull(t), "GraphQLList");
const isComposite = (t: unknown) =>
  is(t, "GraphQLObjectType") || is(t, "GraphQLInterfaceType") || is(t, "GraphQLUnionType");
const hasFields = (t: unknown) => is(t, "GraphQLObjectType") || is(t, "GraphQLInterfaceType");
type Composite = { name: string; getFields?: () => Record<string, GraphQLField<unknown, unknown>> };

/**
 * Assumed sizes of list fields that take no page size, keyed by field name (the same field on the
 * Service interface and each partner's implementation) or by "Type.field" where it differs. They
 * are upper bounds the partners' data keeps to (a service's contacts are capped at 20 by the update
 * mutation; vocabularies are fixed lists), so the computed cost bounds the objects returned.
 */
export const ASSUMED_LIST_SIZES: Readonly<Record<string, number>> = {
  // A service's own lists.
  locations: 10,
  serviceAreas: 10,
  schedules: 14,
  costOptions: 10,
  contacts: 20,
  professionalContacts: 20,
  languages: 10,
  taxonomyTerms: 20,
  coDelivery: 10,
  coDeliveryProposals: 10,
  // The directory's copy of a service lists the areas it serves, as serviceAreas does.
  "DirectoryCopy.areas": 10,
  // Audit entries list the fields an update changed (six kinds).
  "AuditEntry.changes": 10,
  // Fixed vocabularies: 24 needs, 5 age bands, 3 partners, a handful of local authorities.
  "Query.localAuthorities": 50,
  "LocalAuthority.districts": 50,
  "LocalAuthority.neighbours": 20,
  "Query.needs": 30,
  "Query.partnerStatus": 5,
  "CoverageReport.needs": 30,
  "CoverageReport.endingContracts": 50,
  "CoverageReport.offlinePartners": 5,
  "NeedCoverage.cells": 10,
  "CoverageCell.byPartner": 5,
  "RoutePlan.needs": 30,
  "RoutePlan.gaps": 30,
  "RoutePlan.offlinePartners": 5,
  "NeedRoute.services": 10,
  "NeedRoute.gaps": 10,
  // Facet buckets: one per vocabulary value (needs 24, local authorities, languages seen …).
  "SearchFacets.needs": 30,
  "SearchFacets.partner": 5,
  "SearchFacets.localAuthority": 50,
  "SearchFacets.ageBand": 10,
  "SearchFacets.cost": 5,
  "SearchFacets.referralRoute": 10,
  "SearchFacets.language": 50,
  "SearchFacets.deliveryMode": 5,
  // A value per distinct number of locations a service has: a few, rarely dozens.
  "SearchFacets.locationCount": 20,
  // Referrals: a referral's history is capped by the partner (MAX_HISTORY in
  // subgraphs/kit/referral/referral.service.ts); decline reasons are a fixed list of 7.
  "Referral.history": 30,
  "ReferralHealth.partners": 5,
  "PartnerReferralHealth.declineReasons": 10,
  "ServiceReferralHealth.declineReasons": 10,
};

/** What an undeclared list costs: large on purpose, so forgetting a declaration fails loudly. */
export const UNDECLARED_LIST_SIZE = 100;

/** The list fields of `schema` (object elements only) that have neither a `first` nor a size. */
export function undeclaredListFields(schema: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !hasFields(type)) continue;
    for (const field of Object.values((type as Composite).getFields!())) {
      if (!isList(field.type) || !isComposite(namedType(field.type))) continue;
      if (field.args.some((a) => a.name === "first")) continue;
      if (assumedSize(type.name, field.name) === null && !isPageOfParent(field.name))
        out.push(`${type.name}.${field.name}`);
    }
  }
  return out;
}

function assumedSize(typeName: string, fieldName: string): number | null {
  return ASSUMED_LIST_SIZES[`${typeName}.${fieldName}`] ?? ASSUMED_LIST_SIZES[fieldName] ?? null;
}

/** `edges` of a connection take their size from the connection field's `first`. */
const isPageOfParent = (fieldName: string) => fieldName === "edges";

/**
 * The most objects the operation can return. Fragments count as if every type condition matched
 * (a sum, so an upper bound); @skip/@include are ignored for the same reason. With `variables`
 * null (not known yet, during validation) a page size given by a variable counts as 1, so the
 * result is a lower bound that never refuses what the request's real values would allow.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> | undefined | null,
): number {
  const defaults = new Map<string, ValueNode>();
  for (const d of operation.variableDefinitions ?? [])
    if (d.defaultValue) defaults.set(d.variable.name.value, d.defaultValue);
  const root =
    operation.operation === "query"
      ? schema.getQueryType()
      : operation.operation === "mutation"
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return 0;

  /** A page size as execution will see it: literal, variable, variable default, argument default. */
  const pageSize = (def: GraphQLField<unknown, unknown>, node: FieldNode): number | null => {
    const arg = def.args.find((a) => a.name === "first");
    if (!arg) return null;
    const fallback = typeof arg.defaultValue === "number" ? arg.defaultValue : null;
    const literal = (v: ValueNode | undefined): number | null => {
      if (!v) return fallback;
      if (v.kind === Kind.INT) return Number(v.value);
      if (v.kind === Kind.VARIABLE) {
        if (variables === null) return 1;
        const given = variables?.[v.name.value];
        if (typeof given === "number") return given;
        // A value of the wrong type fails coercion and never executes; null means the default.
        return given === undefined ? literal(defaults.get(v.name.value)) : fallback;
      }
      return fallback;
    };
    const n = literal(node.arguments?.find((a) => a.name.value === "first")?.value);
    return n === null ? null : Math.max(0, n);
  };

  // `page` is the enclosing connection's page size, consumed by its `edges`.
  const selectionCost = (
    parent: Composite,
    set: SelectionSetNode,
    multiplier: number,
    page: number,
    seen: Set<string>,
  ): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) total += fieldCost(parent, sel, multiplier, page, seen);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (cond && isComposite(cond))
          total += selectionCost(cond as Composite, sel.selectionSet, multiplier, page, seen);
      } else {
        const frag = fragments[sel.name.value];
        // Validation has already refused cycles; `seen` only guards this walk.
        if (!frag || seen.has(frag.name.value)) continue;
        const cond = schema.getType(frag.typeCondition.name.value);
        if (cond && isComposite(cond)) {
          seen.add(frag.name.value);
          total += selectionCost(cond as Composite, frag.selectionSet, multiplier, page, seen);
          seen.delete(frag.name.value);
        }
      }
    }
    return total;
  };

  const fieldCost = (
    parent: Composite,
    node: FieldNode,
    multiplier: number,
    page: number,
    seen: Set<string>,
  ): number => {
    const def = parent.getFields?.()[node.name.value];
    if (!def || !node.selectionSet) return 0;
    const named = namedType(def.type);
    if (!isComposite(named)) return 0;
    const first = pageSize(def, node);
    let size = 1;
    let childPage = 1;
    if (isList(def.type)) {
      size =
        first ??
        (isPageOfParent(def.name)
          ? page
          : (assumedSize(parent.name, def.name) ?? UNDECLARED_LIST_SIZE));
    } else if (first !== null) {
      childPage = first;
    }
    const count = multiplier * size;
    return count + selectionCost(named as Composite, node.selectionSet, count, childPage, seen);
  };

  return selectionCost(root as Composite, operation.selectionSet, 1, 1, new Set());
}

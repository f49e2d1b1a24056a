// Per-request DataLoaders: every entity reference and list field of a partner goes through one of
// these, so 50 services' fields cost one query per field kind, never one per service.
import DataLoader from "dataloader";
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { Queryable } from "./db/db.ts";
import { RowBudget } from "./limits.ts";
import {
  CHILD_KINDS,
  childrenByServiceIds,
  organizationsByIds,
  servicesByOrganizationIds,
  servicesWithRelations,
  type ChildKind,
  type Relation,
} from "./service.data.ts";
import {
  mapChild,
  toOrganization,
  toService,
  type OrganizationModel,
  type ServiceModel,
} from "./service.map.ts";

/** Observes batches (tests use it to prove there is no N+1). */
export type BatchObserver = (loader: string, keys: readonly string[]) => void;

/** One page of an organization's services. */
export interface OrganizationPage {
  organizationId: string;
  first: number;
  offset: number;
}

export interface PartnerLoaders {
  /**
   * Services by HSDS id. The relations named through `include` before a batch runs are fetched
   * in the batch's query too and primed into `organization` and `children`, so an `_entities`
   * fetch of services with their organization and lists costs one query, not one per relation.
   */
  service: DataLoader<string, ServiceModel | null>;
  /** Asks the next service batch to join these relations (see `service`). */
  include(relations: Iterable<Relation>): void;
  organization: DataLoader<string, OrganizationModel | null>;
  servicesByOrganization: DataLoader<OrganizationPage, ServiceModel[], string>;
  children: { [K in ChildKind]: DataLoader<string, unknown[]> };
}

function byKey<R, K>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): (R | null)[] {
  const map = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

function groupByKey<R, K>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): R[][] {
  const map = new Map<K, R[]>();
  for (const row of rows) {
    const k = keyOf(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}

export function createPartnerLoaders(
  db: Queryable,
  partner: PartnerId,
  observe?: BatchObserver,
  budget: RowBudget = new RowBudget(),
): PartnerLoaders {
  // Every key a batch asks for costs at least a row, and every row it returns costs one.
  const counted = <R>(keys: number, rows: R[]): R[] => {
    budget.spend(Math.max(keys, rows.length));
    return rows;
  };
  const loader = <V>(name: string, batch: (keys: readonly string[]) => Promise<V[]>) =>
    new DataLoader<string, V>(async (keys) => {
      observe?.(name, keys);
      return batch(keys);
    });

  // Missing services and organizations resolve to null: a reference to a deleted record is "gone",
  // which the gateway shows as null rather than failing the whole query.
  const children = Object.fromEntries(
    CHILD_KINDS.map((kind) => [
      kind,
      loader(kind, async (ids) =>
        groupByKey(
          ids,
          counted(ids.length, await childrenByServiceIds(db, kind, ids)),
          (r) => r.service_id,
        ).map((rows) => rows.map((r) => mapChild(kind, r as never))),
      ),
    ]),
  ) as PartnerLoaders["children"];

  const organization = loader("organization", async (ids) =>
    byKey(ids, counted(ids.length, await organizationsByIds(db, ids)), (r) => r.id).map(
      (r) => r && toOrganization(partner, r),
    ),
  );
  let wanted = new Set<Relation>();

  return {
    service: loader("service", async (ids) => {
      const relations = wanted;
      wanted = new Set();
      const rows = counted(ids.length, await servicesWithRelations(db, ids, relations));
      // Each joined relation costs the rows its own loader's batch would have: at least one per
      // key it would have been asked for (the services found, their distinct organizations).
      if (relations.has("organization")) {
        const orgIds = new Set(rows.map((r) => r.organization_id));
        const orgs = new Map<string, OrganizationModel>();
        for (const r of rows)
          if (r.rel_organization)
            orgs.set(r.organization_id, toOrganization(partner, r.rel_organization));
        budget.spend(Math.max(orgIds.size, orgs.size));
        for (const [id, org] of orgs) organization.prime(id, org);
      }
      for (const kind of CHILD_KINDS) {
        if (!relations.has(kind)) continue;
        const lists = rows.map((r) => (r[`rel_${kind}`] ?? []) as unknown[]);
        budget.spend(
          Math.max(
            rows.length,
            lists.reduce((n, l) => n + l.length, 0),
          ),
        );
        rows.forEach((r, i) =>
          children[kind].prime(
            r.id,
            lists[i]!.map((c) => mapChild(kind, c as never)),
          ),
        );
      }
      return byKey(ids, rows, (r) => r.id).map((r) => r && toService(partner, r));
    }),
    include(relations) {
      for (const r of relations) wanted.add(r);
    },
    organization,
    // One query per distinct page (in practice one per request): the window keeps each
    // organization to its page, so a large organization never loads its whole catalogue.
    servicesByOrganization: new DataLoader<OrganizationPage, ServiceModel[], string>(
      async (pages) => {
        const byPage = new Map<string, string[]>();
        for (const p of pages) {
          const k = `${p.offset}:${p.first}`;
          byPage.set(k, [...(byPage.get(k) ?? []), p.organizationId]);
        }
        const rows = new Map<string, ServiceModel[]>();
        for (const [k, ids] of byPage) {
          observe?.("servicesByOrganization", ids);
          const [offset, first] = k.split(":").map(Number) as [number, number];
          const found = groupByKey(
            ids,
            counted(ids.length, await servicesByOrganizationIds(db, ids, first, offset)),
            (r) => r.organization_id,
          );
          ids.forEach((id, i) =>
            rows.set(
              `${id}\u0000${k}`,
              found[i]!.map((r) => toService(partner, r)),
            ),
          );
        }
        return pages.map((p) => rows.get(`${p.organizationId}\u0000${p.offset}:${p.first}`) ?? []);
      },
      { cacheKeyFn: (p) => `${p.organizationId}\u0000${p.offset}:${p.first}` },
    ),
    children,
  };
}

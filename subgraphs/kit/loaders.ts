// Per-request DataLoaders: every entity reference and list field of a partner goes through one of
// these, so 50 services' fields cost one query per field kind, never one per service.
import DataLoader from "dataloader";
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { Queryable } from "./db/db.ts";
import {
  CHILD_KINDS,
  childrenByServiceIds,
  organizationsByIds,
  servicesByIds,
  servicesByOrganizationIds,
  type ChildKind,
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

export interface PartnerLoaders {
  service: DataLoader<string, ServiceModel | null>;
  organization: DataLoader<string, OrganizationModel | null>;
  servicesByOrganization: DataLoader<string, ServiceModel[]>;
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
): PartnerLoaders {
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
        groupByKey(ids, await childrenByServiceIds(db, kind, ids), (r) => r.service_id).map((rows) =>
          rows.map((r) => mapChild(kind, r as never)),
        ),
      ),
    ]),
  ) as PartnerLoaders["children"];

  return {
    service: loader("service", async (ids) =>
      byKey(ids, await servicesByIds(db, ids), (r) => r.id).map((r) => r && toService(partner, r)),
    ),
    organization: loader("organization", async (ids) =>
      byKey(ids, await organizationsByIds(db, ids), (r) => r.id).map(
        (r) => r && toOrganization(partner, r),
      ),
    ),
    servicesByOrganization: loader("servicesByOrganization", async (ids) =>
      groupByKey(ids, await servicesByOrganizationIds(db, ids), (r) => r.organization_id).map(
        (rows) => rows.map((r) => toService(partner, r)),
      ),
    ),
    children,
  };
}

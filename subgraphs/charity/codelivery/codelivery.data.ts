import type { Queryable } from "../../kit/db/db.ts";

export interface CoDeliveryRow {
  id: string;
  service_ref: string;
  organization_id: string;
  role: string;
  staff_share: string | number | null;
  contact_email: string | null;
}

export function coDeliveriesByServiceRefs(db: Queryable, refs: readonly string[]) {
  return db.query<CoDeliveryRow>(
    `SELECT id, service_ref, organization_id, role, staff_share, contact_email FROM co_delivery
     WHERE service_ref = ANY($1::text[]) ORDER BY service_ref, id`,
    [refs],
  );
}

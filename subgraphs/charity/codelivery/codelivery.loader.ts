import DataLoader from "dataloader";
import type { Queryable } from "../../kit/db/db.ts";
import type { BatchObserver } from "../../kit/loaders.ts";
import { coDeliveriesByServiceRefs } from "./codelivery.data.ts";
import type { CoDelivery } from "./codelivery.type.ts";

export function createCoDeliveryLoader(db: Queryable, observe?: BatchObserver) {
  return new DataLoader<string, CoDelivery[]>(async (refs) => {
    observe?.("coDelivery", refs);
    const rows = await coDeliveriesByServiceRefs(db, refs);
    return refs.map((ref) =>
      rows
        .filter((r) => r.service_ref === ref)
        .map((r) => ({
          id: r.id,
          role: r.role,
          staffShare: r.staff_share === null ? null : Number(r.staff_share),
          contactEmail: r.contact_email,
          organizationId: r.organization_id,
        })),
    );
  });
}

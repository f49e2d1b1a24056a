import DataLoader from "dataloader";
import type { Queryable } from "../../kit/db/db.ts";
import type { BatchObserver } from "../../kit/loaders.ts";
import { coDeliveriesByServiceRefs } from "./codelivery.data.ts";
import { coDeliveryFingerprint } from "../../kit/codelivery.ts";
import type { CoDelivery } from "./codelivery.type.ts";

/** Every proposal for each council service ref, accepted or not (the resolver decides who sees what). */
export function createCoDeliveryLoader(db: Queryable, observe?: BatchObserver) {
  return new DataLoader<string, Omit<CoDelivery, "accepted">[]>(async (refs) => {
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
          fingerprint: coDeliveryFingerprint(r),
        })),
    );
  });
}

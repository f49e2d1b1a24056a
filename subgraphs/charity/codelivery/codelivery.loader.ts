import { createHash } from "node:crypto";
import DataLoader from "dataloader";
import type { Queryable } from "../../kit/db/db.ts";
import type { BatchObserver } from "../../kit/loaders.ts";
import { coDeliveriesByServiceRefs, type CoDeliveryRow } from "./codelivery.data.ts";
import type { CoDelivery } from "./codelivery.type.ts";

/** The content a council accepts: any change to who, what, how much or whom to contact changes it. */
export function coDeliveryFingerprint(r: Pick<CoDeliveryRow, "organization_id" | "role" | "staff_share" | "contact_email">): string {
  const share = r.staff_share === null ? null : Number(r.staff_share);
  return createHash("sha256").update(JSON.stringify([r.organization_id, r.role, share, r.contact_email])).digest("hex").slice(0, 16);
}

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

// What the owner of a service accepts when a charity proposes to co-deliver it: a fingerprint of
// the proposal's content, computed the same way by the proposer's subgraph (to show it) and by
// whoever records an acceptance (the owner's mutation, or seeding demo data).
import { createHash } from "node:crypto";
import type { Queryable } from "./db/db.ts";

export interface CoDeliveryContent {
  organization_id: string;
  role: string;
  staff_share?: string | number | null;
  contact_email?: string | null;
}

export function coDeliveryFingerprint(c: CoDeliveryContent): string {
  // Stored as numeric(4,3): round the same way so a file's value and the stored one agree.
  const share =
    c.staff_share === null || c.staff_share === undefined
      ? null
      : Math.round(Number(c.staff_share) * 1000) / 1000;
  return createHash("sha256")
    .update(JSON.stringify([c.organization_id, c.role, share, c.contact_email || null]))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Records the owner's acceptance of proposals for its own services ("<owner>:<id>" refs). For demo
 * and test data, where the owner is taken to have agreed; a real owner accepts through the API.
 */
export async function recordAcceptances(
  ownerDb: Queryable,
  owner: string,
  proposals: ({ id: string; service_ref: string } & CoDeliveryContent)[],
  actor: string,
): Promise<number> {
  const mine = proposals.filter((p) => p.service_ref.startsWith(`${owner}:`));
  for (const p of mine) {
    await ownerDb.query(
      `INSERT INTO co_delivery_decision (service_id, co_delivery_id, fingerprint, decision, actor)
       SELECT $1, $2, $3, 'accepted', $4 WHERE EXISTS (SELECT 1 FROM service WHERE id = $1)
       ON CONFLICT (service_id, co_delivery_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,
         decision = 'accepted', actor = EXCLUDED.actor, at = now()`,
      [p.service_ref.slice(owner.length + 1), p.id, coDeliveryFingerprint(p), actor],
    );
  }
  return mine.length;
}

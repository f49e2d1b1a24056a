// Ids the ORUK / HSDS 3.0 API publishes for things Wayfinder keeps no row for (a service at a
// location, a taxonomy): derived from names, so the gateway that publishes them and the directory
// that indexes them (to find a service_at_location's service without a scan) agree.
import { createHash } from "node:crypto";

/** A UUID (v5 layout, SHA-1) derived from a name: ids HSDS needs that Wayfinder has no row for. */
export function uuidFor(name: string): string {
  const h = createHash("sha1").update(`wayfinder:${name}`).digest("hex");
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The HSDS id of a service at one of its locations (both the partner's own ids). */
export const serviceAtLocationId = (serviceHsdsId: string, locationId: string) =>
  uuidFor(`service_at_location:${serviceHsdsId}:${locationId}`);

/** The HSDS id of a taxonomy (a vocabulary of terms) Wayfinder publishes or accepts by name. */
export const taxonomyId = (name: string) => uuidFor(`taxonomy:${name}`);

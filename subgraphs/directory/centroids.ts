// Postcode-district centres from the shared vocabulary, for area-level positions.
import { LOCAL_AUTHORITIES } from "../../schema/vocabulary.ts";

const byOutward = new Map(
  LOCAL_AUTHORITIES.flatMap((la) => la.outwardCodes.map((o) => [o.code, { lat: o.lat, lng: o.lng }] as const)),
);

export function outwardCentroid(postcodeOrDistrict: string): { lat: number; lng: number } | null {
  const outward = postcodeOrDistrict.trim().toUpperCase().split(/\s+/)[0] ?? "";
  return byOutward.get(outward) ?? null;
}

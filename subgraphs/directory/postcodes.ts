// UK postcodes for `near` searches and routing: validation and normalisation (ideal-postcodes'
// `postcode` parser), and resolution to a position and local authority. By default from local
// data: the known position of that exact postcode (service locations from the partner feeds), else
// its outward code's centre and main authority from Code-Point Open (schema/areas.ts, every GB
// outward code). With postcodesUrl, a postcodes.io-compatible API is asked first, which also places
// Northern Ireland (BT) postcodes, absent from the open GB data.
import { parse, validOutcode } from "postcode";
import {
  isNorthernIrelandPostcode,
  localAuthorityInfo,
  outwardCodeInfo,
} from "../../schema/areas.ts";

/** Not a UK postcode (or outward code) at all. Maps to BAD_USER_INPUT. */
export class InvalidPostcodeError extends Error {
  override name = "InvalidPostcodeError";
  constructor(readonly input: string) {
    super(`"${input.length > 20 ? `${input.slice(0, 20)}…` : input}" is not a valid UK postcode`);
  }
}

/** A Northern Ireland postcode with no postcodes.io-compatible server configured. Maps to BAD_USER_INPUT. */
export class NorthernIrelandPostcodeError extends Error {
  override name = "NorthernIrelandPostcodeError";
  constructor(
    readonly postcode: string,
    detail = "",
  ) {
    super(
      `postcode ${postcode} is in Northern Ireland: placing BT postcodes needs POSTCODES_URL (a postcodes.io-compatible server)${detail ? `, and the lookup is unavailable (${detail})` : ""}; give the local authority's N09 code instead`,
    );
  }
}

/** A well-formed postcode we cannot place. Maps to BAD_USER_INPUT. */
export class UnknownPostcodeError extends Error {
  override name = "UnknownPostcodeError";
  constructor(
    readonly postcode: string,
    detail = "",
  ) {
    super(`postcode ${postcode} is not one we can place${detail ? ` (${detail})` : ""}`);
  }
}

export interface ParsedPostcode {
  /** Normalised full postcode ("NR2 4AB"), or null when only an outward code was given. */
  postcode: string | null;
  /** "NR2". */
  outwardCode: string;
}

const MAX_INPUT = 16;

/**
 * A full postcode in any case and spacing ("nr24ab", " NR2  4AB ") or an outward code ("nr2").
 * Throws InvalidPostcodeError for anything else.
 */
export function parsePostcode(input: string): ParsedPostcode {
  if (typeof input !== "string" || input.length > MAX_INPUT * 4)
    throw new InvalidPostcodeError(String(input));
  const text = input.trim().replace(/\s+/g, " ");
  if (text.length > MAX_INPUT) throw new InvalidPostcodeError(input);
  const p = parse(text);
  if (p.valid) return { postcode: p.postcode, outwardCode: p.outcode };
  const outward = text.replace(/ /g, "").toUpperCase();
  if (validOutcode(outward)) return { postcode: null, outwardCode: outward };
  throw new InvalidPostcodeError(input);
}

/** "nr24ab" → "NR2 4AB". Full postcodes only; throws InvalidPostcodeError. */
export function normalisePostcode(input: string): string {
  const p = parsePostcode(input);
  if (p.postcode === null) throw new InvalidPostcodeError(input);
  return p.postcode;
}

export interface ResolvedPostcode {
  /** Normalised postcode, or the outward code when only that was given. */
  postcode: string;
  lat: number;
  lng: number;
  outwardCode: string;
  /**
   * GSS code of the district or unitary authority, when known. From an outward code alone it is
   * the authority holding most of its postcodes.
   */
  localAuthorityCode?: string;
  /** GSS code of the authority running children's services there (the county in two-tier areas). */
  upperTierCode?: string;
  /** How the position was found: the exact postcode, or its outward code's centre. */
  precision: "postcode" | "outward";
}

export interface KnownPostcode {
  postcode: string;
  lat: number;
  lng: number;
}

export interface PostcodeResolverOptions {
  /** postcodes.io-compatible base URL, e.g. "https://api.postcodes.io". Unset: local data only. */
  postcodesUrl?: string | null;
  /** Public location postcodes the directory knows (from the partner feeds). */
  centroidsFrom: () => Iterable<KnownPostcode>;
  /** Per remote request. Default 3 s. */
  timeoutMs?: number;
  /** How long local centroids are reused before being recomputed. Default 60 s. */
  cacheMs?: number;
  now?: () => number;
}

export interface PostcodeResolver {
  resolve(postcode: string): Promise<ResolvedPostcode>;
}

/** Centre of a postcode district ("NR3", or a full postcode's district), from Code-Point Open. */
export function outwardCentroid(postcodeOrDistrict: string): { lat: number; lng: number } | null {
  const c = outwardCodeInfo(postcodeOrDistrict.trim().toUpperCase().split(/\s+/)[0] ?? "");
  return c ? { lat: c.lat, lng: c.lng } : null;
}

interface Centroids {
  exact: Map<string, { lat: number; lng: number }>;
  outward: Map<string, { lat: number; lng: number }>;
}

/** Averages known positions by full postcode and by outward code. Bad entries are skipped. */
export function computeCentroids(points: Iterable<KnownPostcode>): Centroids {
  const exact = new Map<string, { lat: number; lng: number; n: number }>();
  const outward = new Map<string, { lat: number; lng: number; n: number }>();
  const add = (
    m: Map<string, { lat: number; lng: number; n: number }>,
    k: string,
    lat: number,
    lng: number,
  ) => {
    const c = m.get(k) ?? { lat: 0, lng: 0, n: 0 };
    c.lat += lat;
    c.lng += lng;
    c.n += 1;
    m.set(k, c);
  };
  for (const p of points) {
    if (
      !Number.isFinite(p.lat) ||
      !Number.isFinite(p.lng) ||
      Math.abs(p.lat) > 90 ||
      Math.abs(p.lng) > 180
    )
      continue;
    const parsed = parse(String(p.postcode ?? ""));
    if (!parsed.valid) continue;
    add(exact, parsed.postcode, p.lat, p.lng);
    add(outward, parsed.outcode, p.lat, p.lng);
  }
  const mean = (m: Map<string, { lat: number; lng: number; n: number }>) =>
    new Map([...m].map(([k, c]) => [k, { lat: c.lat / c.n, lng: c.lng / c.n }]));
  return { exact: mean(exact), outward: mean(outward) };
}

export function createPostcodeResolver(opts: PostcodeResolverOptions): PostcodeResolver {
  const now = opts.now ?? Date.now;
  const cacheMs = opts.cacheMs ?? 60_000;
  let cache: { at: number; centroids: Centroids } | null = null;
  const base = opts.postcodesUrl ? opts.postcodesUrl.replace(/\/+$/, "") : null;

  const centroids = () => {
    if (!cache || now() - cache.at > cacheMs)
      cache = { at: now(), centroids: computeCentroids(opts.centroidsFrom()) };
    return cache.centroids;
  };

  function local(p: ParsedPostcode): ResolvedPostcode | null {
    const c = centroids();
    const oc = outwardCodeInfo(p.outwardCode);
    const base = {
      postcode: p.postcode ?? p.outwardCode,
      outwardCode: p.outwardCode,
      ...(oc ? { localAuthorityCode: oc.localAuthority, upperTierCode: oc.upperTier } : {}),
    };
    const exact = p.postcode ? c.exact.get(p.postcode) : undefined;
    if (exact) return { ...base, ...exact, precision: "postcode" };
    // Code-Point's centre (every postcode in the district) beats the average of the few service
    // locations we happen to know there.
    const centre = oc ?? c.outward.get(p.outwardCode);
    if (centre) return { ...base, lat: centre.lat, lng: centre.lng, precision: "outward" };
    return null;
  }

  /** postcodes.io answer, null for "not found", throws for anything unusable (caller falls back). */
  async function remote(p: ParsedPostcode): Promise<ResolvedPostcode | null> {
    const path = p.postcode
      ? `postcodes/${encodeURIComponent(p.postcode)}`
      : `outcodes/${encodeURIComponent(p.outwardCode)}`;
    const res = await fetch(`${base}/${path}`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 3000),
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`postcode lookup answered ${res.status}`);
    const body = (await res.json()) as { result?: PostcodesIoResult | null };
    const r = body.result;
    if (!r || typeof r.latitude !== "number" || typeof r.longitude !== "number") return null;
    const oc = outwardCodeInfo(p.outwardCode);
    const la = district(r.codes) ?? oc?.localAuthority;
    const upper =
      upperTier(r.codes) ?? (la ? localAuthorityInfo(la)?.upperTier : undefined) ?? oc?.upperTier;
    return {
      postcode: p.postcode ?? p.outwardCode,
      lat: r.latitude,
      lng: r.longitude,
      outwardCode: p.outwardCode,
      ...(la ? { localAuthorityCode: la } : {}),
      ...(upper ? { upperTierCode: upper } : {}),
      precision: p.postcode ? "postcode" : "outward",
    };
  }

  return {
    async resolve(input) {
      const p = parsePostcode(input);
      let remoteFailure = "";
      if (base) {
        try {
          const found = await remote(p);
          if (found) return found;
        } catch (err) {
          // Lookup service down or odd: local centroids are good enough for a radius search.
          remoteFailure = err instanceof Error ? err.message : String(err);
        }
      }
      const found = local(p);
      if (found) return found;
      if (isNorthernIrelandPostcode(p.outwardCode))
        throw new NorthernIrelandPostcodeError(p.postcode ?? p.outwardCode, remoteFailure);
      throw new UnknownPostcodeError(
        p.postcode ?? p.outwardCode,
        remoteFailure ? `lookup unavailable: ${remoteFailure}` : "",
      );
    },
  };
}

interface PostcodesIoResult {
  latitude: number | null;
  longitude: number | null;
  codes?: { admin_county?: string | null; admin_district?: string | null };
}

const GSS = /^[ENSW]\d{8}$/;

function district(codes: PostcodesIoResult["codes"]): string | undefined {
  const d = codes?.admin_district;
  return d && GSS.test(d) ? d : undefined;
}

// Children's services sit with the upper tier: the county in two-tier areas (postcodes.io gives
// the pseudo-code E99999999 where there is no county), else the unitary district.
function upperTier(codes: PostcodesIoResult["codes"]): string | undefined {
  const county = codes?.admin_county;
  if (county && GSS.test(county) && !/^E99999999$/.test(county)) return county;
  return district(codes);
}

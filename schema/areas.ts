// Every UK local authority and every GB postcode outward code, from data/areas/ (ONS and OS
// Code-Point Open, Open Government Licence v3.0: see data/areas/README.md for the attribution that
// must travel with the data). Files are parsed on first use, so a process that never routes a child
// or resolves a postcode never pays for them; each table is a few thousand rows once parsed.
import { readFileSync } from "node:fs";

export type AreaTier = "lower" | "upper" | "unitary";

export interface AreaInfo {
  /** ONS GSS code (E06/E07/E08/E09/E10/W06/S12/N09). */
  code: string;
  /** The code this authority had before a recent recode (Barnsley, Sheffield), or null. */
  previousCode: string | null;
  name: string;
  /** Welsh name, for Welsh principal areas. */
  nameWelsh: string | null;
  /** "unitary authority", "non-metropolitan district", "county", "council area" … */
  type: string;
  /** lower = E07 district, upper = E10 county, unitary = everything else. */
  tier: AreaTier;
  country: string;
  countryCode: string;
  /** For an E07 district: its county (E10). */
  county: string | null;
  /** The authority responsible for children's services: the county for a district, else itself. */
  upperTier: string;
  /** For an E10 county: its districts. */
  districts: string[];
  lat: number;
  lng: number;
  /** Authorities sharing a land boundary, longest boundary first (districts for districts, upper-tier for counties). */
  neighbours: string[];
  /** Upper-tier or unitary authorities sharing a land boundary with this one's upper tier. */
  upperTierNeighbours: string[];
}

export interface OutwardCodeInfo {
  /** "NR2", "TR21", "SW1A". */
  code: string;
  lat: number;
  lng: number;
  /** The district or unitary holding most of the outward code's postcodes. */
  localAuthority: string;
  /** Share of the outward code's postcodes in localAuthority (1 = wholly inside it). */
  share: number;
  upperTier: string;
}

const DATA = new URL("../data/areas/", import.meta.url);

/** RFC 4180 rows: quoted fields may hold commas, doubled quotes stand for one. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function records(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(new URL(file, DATA), "utf8"));
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

const codes = (cell: string) => (cell ? cell.split(";").filter(Boolean) : []);

let areas: { byCode: Map<string, AreaInfo>; all: AreaInfo[] } | null = null;
function areaTable() {
  if (areas) return areas;
  const rows = records("local-authorities.csv");
  const upperOf = new Map(rows.map((r) => [r.code!, codes(r.neighbours_upper_tier!)]));
  const all = rows.map((r): AreaInfo => ({
    code: r.code!,
    previousCode: r.previous_code || null,
    name: r.name!,
    nameWelsh: r.name_welsh || null,
    type: r.type!,
    tier: r.tier as AreaTier,
    country: r.country!,
    countryCode: r.country_code!,
    county: r.county_code || null,
    upperTier: r.upper_tier_code || r.code!,
    districts: codes(r.districts!),
    lat: Number(r.lat),
    lng: Number(r.lng),
    neighbours: codes(r.tier === "upper" ? r.neighbours_upper_tier! : r.neighbours_lad!),
    // A district's row leaves these blank: they are its county's.
    upperTierNeighbours: upperOf.get(r.upper_tier_code || r.code!) ?? [],
  }));
  const byCode = new Map(all.map((a) => [a.code, a]));
  for (const a of all) if (a.previousCode) byCode.set(a.previousCode, a);
  areas = { byCode, all };
  return areas;
}

let outward: Map<string, OutwardCodeInfo> | null = null;
function outwardTable() {
  if (outward) return outward;
  outward = new Map();
  for (const r of records("outward-codes.csv")) {
    // Nine non-geographic outward codes have no positioned postcode and so no centre or authority.
    if (!r.lat || !r.la_code) continue;
    outward.set(r.outcode!, {
      code: r.outcode!,
      lat: Number(r.lat),
      lng: Number(r.lng),
      localAuthority: r.la_code,
      share: Number(r.la_share),
      upperTier: r.upper_tier_code || r.la_code,
    });
  }
  return outward;
}

/** One authority by GSS code (a recently replaced code finds its successor), or undefined. */
export function localAuthorityInfo(code: string): AreaInfo | undefined {
  if (typeof code !== "string" || code.length > 16) return undefined;
  return areaTable().byCode.get(code.trim().toUpperCase());
}

/** Every current UK local authority (districts, unitaries, counties), in GSS code order. */
export function allAreas(): readonly AreaInfo[] {
  return areaTable().all;
}

/** A GB outward code's centre and main authority ("PE31"), or undefined (Northern Ireland is not in Code-Point Open). */
export function outwardCodeInfo(outwardCode: string): OutwardCodeInfo | undefined {
  return outwardTable().get(outwardCode.trim().toUpperCase());
}

/** Northern Ireland postcodes start BT; the open GB data has none of them. */
export const isNorthernIrelandPostcode = (postcode: string) => /^BT\d/i.test(postcode.trim());

/**
 * The area codes whose services serve a child living in `code`: the authority itself, and for a
 * district its county (a Norfolk service serves Norwich). For a county, its districts too: a child
 * placed only at county level may live in any of them, so a district service is a candidate (its
 * reason names the district, so the professional can check).
 */
export function areasServing(code: string): string[] {
  const a = localAuthorityInfo(code);
  if (!a) return [code];
  const out = new Set([a.code]);
  if (a.county) out.add(a.county);
  for (const d of a.districts) out.add(d);
  return [...out];
}

/**
 * Areas next to a child's authority: the land neighbours of its district (or unitary) and of its
 * upper tier, each with its own county or districts (a Suffolk service is near a child in South
 * Norfolk), minus the child's own areas.
 */
export function neighbouringAreas(code: string): string[] {
  const a = localAuthorityInfo(code);
  if (!a) return [];
  const own = new Set(areasServing(a.code));
  const out = new Set<string>();
  const add = (c: string) => {
    for (const x of areasServing(c)) if (!own.has(x)) out.add(x);
  };
  for (const n of a.neighbours) add(n);
  for (const n of a.upperTierNeighbours) add(n);
  for (const d of a.districts) for (const n of localAuthorityInfo(d)?.neighbours ?? []) add(n);
  return [...out];
}

/** Display name for a code, the code itself when unknown. */
export const areaName = (code: string) => localAuthorityInfo(code)?.name ?? code;

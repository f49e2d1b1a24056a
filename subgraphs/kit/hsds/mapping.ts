// Taxonomy terms → Wayfinder needs, from the reviewable table schema/taxonomy-needs.csv (drafted by
// scripts/taxonomy/draft-needs-mapping.ts, then read by people). A council feed tags services with
// esdServiceTypes, DfE family hubs categories or OpenActive activities; without this they would
// import with no needs and never reach routing or need filters.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { NEED_CODES } from "../../../schema/vocabulary.ts";
import type { HsdsTaxonomyTerm } from "./format.ts";

const MAPPING_FILE = fileURLToPath(new URL("../../../schema/taxonomy-needs.csv", import.meta.url));

/** The taxonomy Wayfinder publishes its own needs as (GET /oruk/taxonomies): codes are need codes. */
export const WAYFINDER_NEEDS_TAXONOMY = {
  id: "wayfinder-needs",
  name: "Wayfinder needs",
  description: "The needs Wayfinder routes children by (schema/vocabulary.ts NEEDS).",
  uri: "https://github.com/wayfinder/wayfinder/blob/main/schema/vocabulary.ts",
  version: "1",
};

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

// What feeds call each vocabulary. Keys are normalised (lower case, letters and digits only).
const ALIASES: Record<string, string> = {
  esdservicetypes: "esdServiceTypes",
  esdservices: "esdServiceTypes",
  esdservicelist: "esdServiceTypes",
  esd: "esdServiceTypes",
  lgaservicetypes: "esdServiceTypes",
  dfefamilyhubsservicecategories: "DfE family hubs service categories",
  dfeservicecategories: "DfE family hubs service categories",
  servicecategory: "DfE family hubs service categories",
  familyhubs: "DfE family hubs service categories",
  openactiveactivitylist: "OpenActive activity list",
  openactive: "OpenActive activity list",
  activitylist: "OpenActive activity list",
  wayfinderneeds: "Wayfinder needs",
  [norm(WAYFINDER_NEEDS_TAXONOMY.id)]: "Wayfinder needs",
};

export function canonicalTaxonomy(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  return ALIASES[norm(name)] ?? name;
}

interface Entry {
  needs: string[];
}

interface Table {
  byCode: Map<string, Entry>;
  byLabel: Map<string, Entry>;
  byUri: Map<string, Entry>;
  labelsAnywhere: Map<string, Entry>;
}

let table: Table | undefined;

function load(): Table {
  if (table) return table;
  const rows = parse(readFileSync(MAPPING_FILE, "utf8"), { columns: true }) as Record<
    string,
    string
  >[];
  const t: Table = {
    byCode: new Map(),
    byLabel: new Map(),
    byUri: new Map(),
    labelsAnywhere: new Map(),
  };
  const known = new Set(NEED_CODES);
  for (const r of rows) {
    const needs = r.needs.split(/\s+/).filter(Boolean);
    for (const n of needs)
      if (!known.has(n)) throw new Error(`${MAPPING_FILE}: unknown need "${n}" for ${r.code}`);
    const e = { needs };
    const tax = norm(canonicalTaxonomy(r.taxonomy) ?? r.taxonomy);
    t.byCode.set(`${tax}|${r.code.toLowerCase()}`, e);
    t.byLabel.set(`${tax}|${norm(r.label)}`, e);
    if (r.uri) t.byUri.set(r.uri.toLowerCase(), e);
    if (!t.labelsAnywhere.has(norm(r.label))) t.labelsAnywhere.set(norm(r.label), e);
  }
  table = t;
  return t;
}

/** The id's last segment: "esdServiceTypes:4" → "4", "http://id.esd.org.uk/service/4" → "4". */
const tail = (id: string) =>
  id
    .replace(/[/#?]+$/, "")
    .split(/[/#:=]/)
    .pop() ?? id;

/**
 * The needs a taxonomy term stands for, or undefined when the mapping does not know the term.
 * An empty array means "known, and deliberately no need" (e.g. DfE's transport category).
 */
export function needsForTerm(
  term: Pick<
    HsdsTaxonomyTerm,
    "id" | "code" | "name" | "term" | "taxonomy" | "vocabulary" | "term_uri"
  >,
  taxonomyName?: string,
): string[] | undefined {
  const t = load();
  const taxonomy = canonicalTaxonomy(term.taxonomy ?? term.vocabulary ?? taxonomyName);
  const code = term.code ?? (term.id ? tail(term.id) : undefined);
  const label = term.name ?? term.term;
  if (taxonomy === "Wayfinder needs") {
    const c = (term.code ?? term.id ?? "").toUpperCase();
    return (NEED_CODES as string[]).includes(c) ? [c] : undefined;
  }
  for (const uri of [term.term_uri, term.id])
    if (uri && /^https?:/i.test(uri)) {
      const e = t.byUri.get(uri.toLowerCase());
      if (e) return e.needs;
    }
  if (taxonomy) {
    const tax = norm(taxonomy);
    for (const c of [code, term.id])
      if (c) {
        const e = t.byCode.get(`${tax}|${c.toLowerCase()}`);
        if (e) return e.needs;
      }
    if (label) {
      const e = t.byLabel.get(`${tax}|${norm(label)}`);
      if (e) return e.needs;
    }
  }
  // A term whose vocabulary is not named: the term id, then its label, anywhere in the table.
  if (!taxonomy && term.id) {
    for (const [key, e] of t.byCode) if (key.endsWith(`|${term.id.toLowerCase()}`)) return e.needs;
  }
  if (!taxonomy && label) return t.labelsAnywhere.get(norm(label))?.needs;
  return undefined;
}

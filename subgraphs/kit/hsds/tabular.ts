// HSDS 3.0's tabular form — one CSV per table (a datapackage), or the same tables as JSON keyed by
// file name (the spec's tabular.json) — joined back into nested service_full records, so it is
// validated and imported like any other feed. Column types come from the official schemas.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

type Obj = Record<string, unknown>;

const HSDS_DIR = fileURLToPath(new URL("../../../schema/hsds3/", import.meta.url));

interface TableSchema {
  name: string;
  path: string;
  types: Record<string, string>;
}

let tableSchemas: TableSchema[] | undefined;

function schemas(): TableSchema[] {
  if (tableSchemas) return tableSchemas;
  tableSchemas = readdirSync(HSDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(HSDS_DIR + f, "utf8")) as Obj)
    .filter((s) => typeof s.path === "string")
    .map((s) => {
      const props = (s.properties ?? {}) as Record<string, { type?: string }>;
      return {
        name: String(s.name),
        path: String(s.path),
        types: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, String(v.type)])),
      };
    });
  return tableSchemas;
}

/** The table a file holds: by the schema's `path` ("services.csv"), or its singular ("service.csv"). */
function tableOf(file: string): TableSchema | undefined {
  const base = path.basename(file).toLowerCase();
  return schemas().find(
    (s) => s.path === base || `${s.name}.csv` === base || `${s.name}s.csv` === base,
  );
}

/** CSV cells are text: numbers and booleans are typed as the schema says; empty cells are absent. */
function typed(row: Obj, table: TableSchema): Obj {
  const out: Obj = {};
  for (const [k, raw] of Object.entries(row)) {
    if (raw === "" || raw === null || raw === undefined) continue;
    const type = table.types[k];
    // Tables are typed by the schema, not by the cell: tabular.json writes some ids as numbers.
    if (typeof raw === "number" && type === "string") out[k] = String(raw);
    else if (typeof raw !== "string") out[k] = raw;
    else if (
      (type === "number" || type === "integer") &&
      raw.trim() !== "" &&
      !Number.isNaN(Number(raw))
    )
      out[k] = Number(raw);
    else if (type === "boolean" && /^(true|false)$/i.test(raw))
      out[k] = raw.toLowerCase() === "true";
    else out[k] = raw;
  }
  return out;
}

/** True when a JSON object looks like tabular.json: its keys are CSV file names. */
export function isTabularJson(input: Obj): boolean {
  const keys = Object.keys(input);
  return keys.length > 0 && keys.every((k) => k.endsWith(".csv")) && keys.some((k) => tableOf(k));
}

/** True when a path is a folder of HSDS CSV tables (or a datapackage.json beside them). */
export function isTabularPath(p: string): boolean {
  const dir = tabularDir(p);
  return (
    !!dir && readdirSync(dir).some((f) => f.endsWith(".csv") && tableOf(f)?.name === "service")
  );
}

function tabularDir(p: string): string | undefined {
  if (!existsSync(p)) return undefined;
  if (statSync(p).isDirectory()) return p;
  return path.basename(p) === "datapackage.json" ? path.dirname(p) : undefined;
}

/** A CSV in a tabular package that cannot be parsed. */
export class TabularError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TabularError";
  }
}

/** Reads every HSDS CSV in a folder into tables keyed by the schema's file name. */
export function readTabularDir(p: string): Record<string, Obj[]> {
  const dir = tabularDir(p)!;
  const tables: Record<string, Obj[]> = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".csv"))) {
    const table = tableOf(f);
    if (!table) continue;
    // The ORUK profile's CSVs end lines with "\r\r\n"; any run of CRs before LF is one line end.
    const text = readFileSync(path.join(dir, f), "utf8").replace(/\r+\n/g, "\n");
    let rows: Obj[];
    try {
      rows = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Obj[];
    } catch (err) {
      throw new TabularError(
        `${path.join(dir, f)}: not a readable CSV table: ${(err as Error).message}`,
      );
    }
    // A folder may hold one table twice, as "schedule.csv" and "schedules.csv" (the ORUK examples
    // do); a row whose id an earlier file of the same table already gave is that same row.
    const earlier = new Set((tables[table.path] ?? []).map((r) => r.id));
    (tables[table.path] ??= []).push(...rows.filter((r) => !earlier.has(r.id)));
  }
  return tables;
}

/** Joins HSDS tables into the nested shape: services with their children, organizations, locations. */
export function joinTables(input: Record<string, unknown>): Obj {
  const tables: Record<string, Obj[]> = {};
  for (const [file, rows] of Object.entries(input)) {
    const table = tableOf(file);
    if (!table || !Array.isArray(rows)) continue;
    (tables[table.name] ??= []).push(...rows.map((r) => typed(r as Obj, table)));
  }
  const t = (name: string) => tables[name] ?? [];
  const by = (name: string, key: string) => {
    const m = new Map<string, Obj[]>();
    for (const row of t(name)) {
      const k = row[key];
      if (typeof k !== "string") continue;
      const list = m.get(k) ?? [];
      list.push(row);
      m.set(k, list);
    }
    return (id: unknown, except: string[] = []) =>
      (m.get(String(id)) ?? []).map((r) => omit(r, [key, ...except]));
  };
  const terms = new Map(t("taxonomy_term").map((r) => [String(r.id), r]));
  const attributesOf = by("attribute", "link_id");
  const attributes = (id: unknown) =>
    attributesOf(id).map((a) => {
      const term = terms.get(String(a.taxonomy_term_id));
      return term ? { ...a, taxonomy_term: term } : a;
    });
  const phonesBy = {
    service: by("phone", "service_id"),
    contact: by("phone", "contact_id"),
    location: by("phone", "location_id"),
  };
  const contactsBy = by("contact", "service_id");
  const addressesBy = by("address", "location_id");
  const locations = t("location").map((l) => ({
    ...l,
    addresses: addressesBy(l.id),
    phones: phonesBy.location(l.id, [
      "service_id",
      "contact_id",
      "service_at_location_id",
      "organization_id",
    ]),
  }));
  const schedulesBy = by("schedule", "service_id");
  const areasBy = by("service_area", "service_id");
  const salBy = by("service_at_location", "service_id");
  const languagesBy = by("language", "service_id");
  const costsBy = by("cost_option", "service_id");
  const fundingBy = by("funding", "service_id");
  const documentsBy = by("required_document", "service_id");
  const identifiersBy = by("organization_identifier", "organization_id");
  const programs = new Map(t("program").map((p) => [String(p.id), p]));
  const services = t("service").map((s) => ({
    ...s,
    ...(programs.has(String(s.program_id)) ? { program: programs.get(String(s.program_id)) } : {}),
    phones: phonesBy.service(s.id, [
      "contact_id",
      "location_id",
      "organization_id",
      "service_at_location_id",
    ]),
    schedules: schedulesBy(s.id),
    service_areas: areasBy(s.id),
    service_at_locations: salBy(s.id),
    languages: languagesBy(s.id),
    cost_options: costsBy(s.id),
    funding: fundingBy(s.id),
    required_documents: documentsBy(s.id),
    contacts: contactsBy(s.id).map((c) => ({
      ...c,
      phones: phonesBy.contact(c.id, ["service_id"]),
    })),
    attributes: attributes(s.id),
  }));
  const organizations = t("organization").map((o) => ({
    ...o,
    organization_identifiers: identifiersBy(o.id),
  }));
  const taxonomies = t("taxonomy");
  // Terms used by services are nested in their attributes; the rest are loaded as vocabulary.
  return {
    organizations,
    services,
    locations,
    taxonomies,
    taxonomy_terms: t("taxonomy_term"),
    "(tables)": Object.keys(tables).length,
  };
}

function omit(row: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(row)) if (!keys.includes(k)) out[k] = v;
  return out;
}

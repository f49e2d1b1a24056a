// The official HSDS 3.0 JSON Schemas (schema/hsds3, CC BY-SA 4.0) and Wayfinder's extension schema
// (schema/wayfinder.schema.json), compiled once with ajv. Errors come back in the importer's
// (path, problem) form.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const HSDS_DIR = fileURLToPath(new URL("../../../schema/hsds3/", import.meta.url));
const EXTENSION = fileURLToPath(new URL("../../../schema/wayfinder.schema.json", import.meta.url));

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

function build() {
  // strict: false because the HSDS schemas carry datapackage keywords (name, constraints, core…)
  // that are documentation, not JSON Schema. verbose keeps the offending value for the message.
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true });
  addFormats(ajv);
  // HSDS ids are declared `format: uuid`, but councils publish their own ids ("12345", "bucks-1"),
  // an ORUK 1.0 habit; any non-empty id is taken, and ids are checked for uniqueness instead.
  ajv.addFormat("uuid", /\S/);
  for (const f of readdirSync(HSDS_DIR).filter((f) => f.endsWith(".json")))
    ajv.addSchema(JSON.parse(readFileSync(HSDS_DIR + f, "utf8")), f);
  ajv.addSchema(JSON.parse(readFileSync(EXTENSION, "utf8")));
  return ajv;
}

let compiled: Record<SchemaName, ValidateFunction[]> | undefined;

export type SchemaName =
  "service" | "organization" | "location" | "taxonomy" | "taxonomy_term" | "co_delivery";

function validators() {
  if (compiled) return compiled;
  const ajv = build();
  const get = (key: string) => {
    const v = ajv.getSchema(key);
    if (!v) throw new Error(`schema ${key} not found`);
    return v;
  };
  const ext = (d: string) => get(`wayfinder.schema.json#/definitions/${d}`);
  compiled = {
    service: [get("service.json"), ext("service")],
    organization: [get("organization.json"), ext("organization")],
    location: [get("location.json"), ext("location")],
    taxonomy: [get("taxonomy.json")],
    taxonomy_term: [get("taxonomy_term.json")],
    co_delivery: [ext("co_delivery")],
  };
  return compiled;
}

export interface SchemaProblem {
  path: string;
  problem: string;
}

/** Checks one record against the official schema of its kind plus Wayfinder's overlay. */
export function checkSchema(kind: SchemaName, record: unknown): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const validate of validators()[kind]) {
    if (validate(record)) continue;
    for (const e of validate.errors ?? []) {
      const p = describe(e);
      if (p) out.push(p);
    }
  }
  return out;
}

/** True when the record passes the official HSDS 3.0 schema alone (used by tests and the API). */
export function officialSchemaErrors(kind: Exclude<SchemaName, "co_delivery">, record: unknown) {
  const validate = validators()[kind][0];
  return validate(record) ? [] : (validate.errors ?? []).map(describe).filter(Boolean);
}

/** "/service_at_locations/0/location/latitude" → "service_at_locations[0].location.latitude" */
export function jsonPointerToPath(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

const FORMAT_WORDS: Record<string, string> = {
  email: "an email address",
  uri: "an absolute URI such as https://example.org/page",
  "date-time": "an ISO 8601 date-time such as 2024-05-16T09:00:00Z",
  date: "a date YYYY-MM-DD",
};

const shown = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

function describe(e: ErrorObject): SchemaProblem | undefined {
  const path = jsonPointerToPath(e.instancePath);
  const got = `(got ${shown(e.data)})`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const key = String(params.missingProperty);
      return { path: path ? `${path}.${key}` : key, problem: "is required" };
    }
    case "enum": {
      // Wayfinder's code lists are long; name the list rather than recite it.
      const code = /wayfinder\.(needs|referral_routes|delivery_modes)\[\d+\]$/.exec(path);
      if (code) {
        const what = {
          needs: "need",
          referral_routes: "referral route",
          delivery_modes: "delivery mode",
        }[code[1] as "needs"];
        const list = code[1].toUpperCase();
        return {
          path,
          problem: `unknown ${what} code ${shown(e.data)} (see ${list === "NEEDS" ? "NEEDS" : list} in schema/vocabulary.ts)`,
        };
      }
      return {
        path,
        problem: `must be one of ${(params.allowedValues as unknown[]).map((v) => shown(v)).join(", ")} ${got}`,
      };
    }
    case "type":
      return { path, problem: `must be ${String(params.type).replace(",", " or ")} ${got}` };
    case "format":
      return {
        path,
        problem: `must be ${FORMAT_WORDS[String(params.format)] ?? params.format} ${got}`,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return { path, problem: `must be ${params.comparison} ${params.limit} ${got}` };
    case "minLength":
      return { path, problem: `must not be empty ${got}` };
    case "pattern":
      return path.endsWith("service_ref")
        ? {
            path,
            problem: `must look like "council:<service id>" (partner one of council, charity, health) ${got}`,
          }
        : { path, problem: `must match ${params.pattern} ${got}` };
    case "anyOf":
    case "oneOf":
    case "if":
      return undefined; // their branches report the specific problem
    default:
      return { path, problem: `${e.message ?? e.keyword} ${got}` };
  }
}

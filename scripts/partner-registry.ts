// Collects every partner manifest (subgraphs/<id>/partner.json) into schema/partners.json, the
// registry every process reads (schema/vocabulary.ts). Run by `npm run schema:compose`; it imports
// nothing that reads the registry, so it can run before the registry knows a new partner.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkRegistry,
  parsePartnerManifest,
  PartnerManifestError,
  type PartnerManifest,
} from "../schema/partners.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every subgraphs/<id>/partner.json under `root`, checked, in port order. */
export function readManifests(root = ROOT): PartnerManifest[] {
  const dir = path.join(root, "subgraphs");
  const manifests: PartnerManifest[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name, "partner.json");
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const source = path.relative(root, file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new PartnerManifestError(`${source}: not valid JSON (${(err as Error).message})`);
    }
    const m = parsePartnerManifest(json, source);
    if (m.id !== entry.name)
      throw new PartnerManifestError(
        `${source}: id "${m.id}" must be its folder's name "${entry.name}"`,
      );
    manifests.push(m);
  }
  return checkRegistry(manifests);
}

export function registryText(manifests: PartnerManifest[]): string {
  return JSON.stringify(manifests, null, 2) + "\n";
}

/** Writes schema/partners.json; true when it changed. */
export function writeRegistry(root = ROOT): boolean {
  const file = path.join(root, "schema", "partners.json");
  const text = registryText(readManifests(root));
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (before !== text) writeFileSync(file, text);
  return before !== text;
}

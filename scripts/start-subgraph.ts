// npm run start:subgraph -- <partner|directory>: one subgraph as its own process (as docker-compose
// runs them). The partners come from their manifests (schema/partners.json).
import { PARTNERS } from "../schema/vocabulary.ts";

const name = process.argv[2];
const names = [...PARTNERS, "directory"] as string[];
if (!name || !names.includes(name)) {
  console.error(`usage: npm run start:subgraph -- <${names.join("|")}>`);
  process.exit(2);
}
// A template literal, not a computed string: scripts/launch.mjs bundles each subgraphs/*/index.ts
// for it (and loads only the one asked for).
await import(`../subgraphs/${name}/index.ts`);

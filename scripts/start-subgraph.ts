// npm run start:subgraph -- <partner|directory>: one subgraph as its own process (as docker-compose
// runs them). The partners come from their manifests (schema/partners.json).
import { PARTNERS } from "../schema/vocabulary.ts";

const name = process.argv[2];
const entry: Record<string, string> = {
  ...Object.fromEntries(PARTNERS.map((p) => [p, `../subgraphs/${p}/index.ts`])),
  directory: "../subgraphs/directory/index.ts",
};
if (!name || !entry[name]) {
  console.error(`usage: npm run start:subgraph -- <${Object.keys(entry).join("|")}>`);
  process.exit(2);
}
await import(entry[name]!);

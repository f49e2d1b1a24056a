// npm run schema:compose — writes schema/partners.json (from the partner manifests),
// schema/subgraphs/*.graphql and schema/supergraph.graphql. It runs through tsx, not as a bundle
// (scripts/launch.mjs): what it imports after writing the registry must read the new one, which a
// bundle made before would hold as it was.
import { writeFile } from "node:fs/promises";
import { PartnerManifestError } from "../schema/partners.ts";
import { writeRegistry } from "./partner-registry.ts";

try {
  // The registry first: everything imported below reads it when it loads.
  writeRegistry();
} catch (err) {
  if (err instanceof PartnerManifestError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const { CompositionError, composeSupergraph } = await import("./supergraph.ts");
try {
  const { subgraphs, supergraph } = await composeSupergraph();
  for (const [name, sdl] of Object.entries(subgraphs)) {
    await writeFile(`schema/subgraphs/${name}.graphql`, sdl.trimEnd() + "\n");
  }
  await writeFile("schema/supergraph.graphql", supergraph.trimEnd() + "\n");
  console.log(`Composed ${Object.keys(subgraphs).length} subgraphs → schema/supergraph.graphql`);
} catch (err) {
  if (err instanceof CompositionError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

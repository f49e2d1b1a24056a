// npm run start:subgraph -- <council|charity|health|directory>: one subgraph as its own process
// (as docker-compose runs them).
const name = process.argv[2];
const entry: Record<string, string> = {
  council: "../subgraphs/council/index.ts",
  charity: "../subgraphs/charity/index.ts",
  health: "../subgraphs/health/index.ts",
  directory: "../subgraphs/directory/index.ts",
};
if (!name || !entry[name]) {
  console.error(`usage: npm run start:subgraph -- <${Object.keys(entry).join("|")}>`);
  process.exit(2);
}
await import(entry[name]!);

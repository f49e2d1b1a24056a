// npm start: the whole stack on embedded defaults (file-backed PGlite per partner under .data,
// embedded search), each subgraph and the gateway on its own port. Loads the generated default
// dataset into any partner database that is empty (first run).
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { directoryConfig, partnerConfig, SUBGRAPHS, subgraphPort } from "../platform/config.ts";
import { openPartnerDb } from "../subgraphs/kit/run.ts";
import { onShutdown } from "../platform/process.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { generateDataset } from "./generate/dataset.ts";
import { gatewayConfig } from "../gateway/config.ts";
import { startStack } from "./stack.ts";

const started = Date.now();
const dbs = {} as Record<PartnerId, Db>;
let dataset: ReturnType<typeof generateDataset> | null = null;
for (const p of PARTNERS) {
  dbs[p] = await openPartnerDb(p, PARTNER_MODULES[p].migrationDirs);
  const [{ n }] = await dbs[p].query<{ n: number }>("SELECT count(*)::int AS n FROM service");
  if (n === 0) {
    dataset ??= generateDataset({});
    const result = await importHsds(dbs[p], validateHsds(dataset[p]));
    console.log(`${p}: first run, loaded ${result.services} generated services`);
  }
}

const dir = directoryConfig();
const gw = gatewayConfig();
const stack = await startStack({
  dbs,
  host: dir.host,
  ports: {
    ...Object.fromEntries(SUBGRAPHS.map((s) => [s, subgraphPort(s)])),
    gateway: gw.port,
  },
  supergraphPath: gw.supergraphPath,
  searchBackend: dir.searchBackend,
  meiliUrl: dir.meiliUrl,
  meiliApiKey: dir.meiliApiKey,
  meiliIndex: dir.meiliIndex,
  postcodesUrl: dir.postcodesUrl,
  syncIntervalMs: dir.syncIntervalMs,
  directoryStateDir: dir.stateDir,
  directoryStateUrl: dir.stateUrl,
  reconcileIntervalMs: dir.reconcileIntervalMs,
  rateLimit: gw.rateLimit,
});

for (const p of PARTNERS) console.log(`  ${p.padEnd(9)} subgraph  ${stack.partners[p].url}  (${partnerConfig(p).databaseUrl ? "PostgreSQL" : "PGlite"})`);
console.log(`  directory subgraph  ${stack.directory.http.url}  (search: ${stack.directory.backend.name})`);
console.log(`\nWayfinder gateway ready at ${stack.gatewayUrl}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`Try: curl -s ${stack.gatewayUrl} -H 'content-type: application/json' \\
  -d '{"query":"{ searchServices(query: \\"camhs\\", first: 3) { totalCount edges { node { name partner organization { name } } } } }"}'`);

console.log(`Professional fields need a token: npm run token -- --role professional (then send "authorization: Bearer <token>")`);

onShutdown(async () => {
  await stack.close();
  await Promise.all(PARTNERS.map((p) => dbs[p].close()));
});

// npm start: the whole stack in one process, each subgraph and the gateway on its own port, with
// the same configuration the separate processes read (scripts/config.ts stackConfig: NODE_ENV,
// INTERNAL_SECRET, AUTH_*, GATEWAY_*, <PARTNER>_DATABASE_URL …). On embedded defaults it uses a
// file-backed PGlite per partner under DATA_DIR and the embedded search index. In development it
// loads the generated default dataset into any partner database that is empty (first run);
// production never loads generated data.
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openPartnerDb } from "../subgraphs/kit/run.ts";
import { configureLogging } from "../platform/log.ts";
import { loadConfig, onShutdown } from "../platform/process.ts";
import { initTracing } from "../platform/tracing.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { recordAcceptances } from "../subgraphs/kit/codelivery.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { generateDataset } from "./generate/dataset.ts";
import { stackConfig } from "./config.ts";
import { startStack } from "./stack.ts";

const cfg = loadConfig(() => stackConfig());
configureLogging({ service: "wayfinder", level: cfg.logLevel });
// One process, one tracer provider: spans name their part in the wayfinder.service attribute.
const tracing = initTracing("wayfinder", cfg.gateway);
const started = Date.now();
const dbs = {} as Record<PartnerId, Db>;
let dataset: ReturnType<typeof generateDataset> | null = null;
for (const p of PARTNERS) {
  dbs[p] = await openPartnerDb(cfg.partners[p]!, PARTNER_MODULES[p]!.migrationDirs);
  const [{ n }] = await dbs[p].query<{ n: number }>("SELECT count(*)::int AS n FROM service");
  if (n === 0 && cfg.production) {
    console.log(`${p}: no services yet (production loads none; use npm run import)`);
  } else if (n === 0) {
    dataset ??= generateDataset({});
    // A partner added after the generator was written has no generated data yet.
    if (dataset[p]) {
      const result = await importHsds(dbs[p], validateHsds(dataset[p]));
      console.log(`${p}: first run, loaded ${result.services} generated services`);
    }
  }
}

// Generated demo data: each service owner is taken to have accepted the co-deliveries proposed
// for its services (a real owner accepts through acceptCouncilCoDelivery).
if (dataset) {
  for (const owner of PARTNERS)
    for (const proposer of PARTNERS)
      if (dataset[proposer])
        await recordAcceptances(
          dbs[owner],
          owner,
          dataset[proposer].co_deliveries ?? [],
          "demo-data",
        );
}

const stack = await startStack(cfg, { dbs });

// `npm run import` into a partner now goes through its subgraph (one writer per PGlite database).
for (const p of PARTNERS)
  await dbs[p]!.advertise?.({ url: stack.partners[p]!.url, holder: `${p} subgraph (npm start)` });
for (const p of PARTNERS) {
  console.log(
    `  ${p.padEnd(9)} subgraph  ${stack.partners[p]!.url}  (${cfg.partners[p]!.databaseUrl ? "PostgreSQL" : "PGlite"})`,
  );
}
console.log(
  `  directory subgraph  ${stack.directory.http.url}  (search: ${stack.directory.backend.name}; sync every ${cfg.directory.syncIntervalMs} ms, reconcile every ${cfg.directory.reconcileIntervalMs} ms)`,
);
const signIn = cfg.web.oidc
  ? `identity provider ${cfg.web.oidc.issuer}`
  : cfg.production
    ? "not configured (public directory only)"
    : "development role chooser at /sign-in";
console.log(
  `\nWayfinder web app at ${stack.gatewayUrl.replace(/graphql$/, "")}  (sign in: ${signIn})`,
);
console.log(
  `Wayfinder gateway ready at ${stack.gatewayUrl}  (${cfg.production ? "production" : "development"}, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
);
if (!cfg.production) {
  console.log(`Try: curl -s ${stack.gatewayUrl} -H 'content-type: application/json' \\
  -d '{"query":"{ searchServices(query: \\"camhs\\", first: 3) { totalCount edges { node { name partner organization { name } } } } }"}'`);
  console.log(
    `Professional fields need a token: npm run token -- --role professional (then send "authorization: Bearer <token>")`,
  );
}

onShutdown(async () => {
  await stack.close();
  await Promise.all(PARTNERS.map((p) => dbs[p]!.close()));
  await tracing?.shutdown();
});

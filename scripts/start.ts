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
import { demoTemplate, loadDemoData } from "./demo-data.ts";
import { openDirectoryState } from "../subgraphs/directory/state/state.ts";
import { stackConfig } from "./config.ts";
import { startStack } from "./stack.ts";

const cfg = loadConfig(() => stackConfig());
configureLogging({ service: "wayfinder", level: cfg.logLevel });
// One process, one tracer provider: spans name their part in the wayfinder.service attribute.
const tracing = initTracing("wayfinder", cfg.gateway);
const started = Date.now();
// Opened side by side, the directory's state store too: a database start waits on file reads as
// well as running WASM.
const laid = new Set<PartnerId>();
const directoryState = openDirectoryState({
  url: cfg.directory.stateUrl,
  dataDir: cfg.directory.stateDir,
});
const dbs = Object.fromEntries(
  await Promise.all(
    PARTNERS.map(async (p) => {
      const dirs = PARTNER_MODULES[p]!.migrationDirs;
      // A first run lays the demo data in with the database (a cached copy), not by importing it.
      const db = await openPartnerDb(cfg.partners[p]!, dirs, {
        startFrom: cfg.production
          ? undefined
          : async () => {
              const dump = await demoTemplate(p, dirs);
              if (dump) laid.add(p);
              return dump;
            },
      });
      return [p, db] as const;
    }),
  ),
) as Record<PartnerId, Db>;
for (const p of PARTNERS) {
  const [{ n }] = await dbs[p].query<{ n: number }>("SELECT count(*)::int AS n FROM service");
  if (n > 0) {
    if (laid.has(p)) console.log(`${p}: first run, loaded ${n} generated services`);
    continue;
  }
  if (cfg.production) {
    console.log(`${p}: no services yet (production loads none; use npm run import)`);
  } else {
    // An empty database that was not new (PostgreSQL, or emptied by hand): import the data here.
    const services = await loadDemoData(dbs[p], p);
    if (services !== null) console.log(`${p}: first run, loaded ${services} generated services`);
  }
}

const stack = await startStack(cfg, { dbs, directoryState: await directoryState });

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

// `npm run start:subgraph -- directory`: the directory as its own process.
import { directoryConfig } from "../../platform/config.ts";
import { configureLogging } from "../../platform/log.ts";
import { loadConfig, onShutdown } from "../../platform/process.ts";
import { initTracing } from "../../platform/tracing.ts";
import { startDirectory } from "./start.ts";

const cfg = loadConfig(() => directoryConfig());
configureLogging({ service: "directory", level: cfg.logLevel });
const tracing = initTracing("wayfinder-directory", cfg);
const dir = await startDirectory(cfg);
console.log(
  `directory subgraph ready at ${dir.http.url} (search: ${dir.backend.name}; sync every ${cfg.syncIntervalMs} ms, reconcile every ${cfg.reconcileIntervalMs} ms)`,
);
onShutdown(async () => {
  await dir.close();
  await tracing?.shutdown();
});

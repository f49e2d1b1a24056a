// `npm run start:gateway`: the gateway as its own process (docker-compose, the Dockerfile's CMD).
import { gatewayConfig } from "./config.ts";
import { startGateway } from "./server.ts";
import { configureLogging } from "../platform/log.ts";
import { loadConfig, onShutdown } from "../platform/process.ts";
import { webConfig } from "../web/config.ts";
import { createWeb } from "../web/server.ts";
import { initTracing } from "../platform/tracing.ts";

const cfg = loadConfig(() => gatewayConfig());
const web = loadConfig(() => webConfig());
configureLogging({ service: "gateway", level: cfg.logLevel });
const tracing = initTracing("wayfinder-gateway", cfg);
// The web app rides on the gateway's process, as under npm start.
const gw = await startGateway({ ...cfg, web: (graphqlUrl) => createWeb({ ...web, graphqlUrl }) });
console.log(`Wayfinder gateway ready at ${gw.url}`);
onShutdown(async () => {
  await gw.close();
  await tracing?.shutdown();
});

import { gatewayConfig } from "./config.ts";
import { startGateway } from "./server.ts";
import { onShutdown } from "../platform/process.ts";

const cfg = gatewayConfig();
const gw = await startGateway(cfg);
console.log(`Wayfinder gateway ready at ${gw.url}`);
onShutdown(() => gw.close());

import { directoryConfig } from "../../platform/config.ts";
import { onShutdown } from "../../platform/process.ts";
import { startDirectory } from "./start.ts";

const cfg = directoryConfig();
const dir = await startDirectory(cfg);
console.log(`directory subgraph ready at ${dir.http.url} (search: ${dir.backend.name})`);
onShutdown(() => dir.close());

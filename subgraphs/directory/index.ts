import { directoryConfig } from "../kit/config.ts";
import { onShutdown } from "../kit/run.ts";
import { startDirectory } from "./start.ts";

const cfg = directoryConfig();
const dir = await startDirectory(cfg);
console.log(`directory subgraph ready at ${dir.http.url} (search: ${dir.backend.name})`);
onShutdown(() => dir.close());

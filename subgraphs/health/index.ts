import { runPartner } from "../kit/run.ts";
import { createServer, migrationDirs } from "./server.ts";

await runPartner("health", createServer, migrationDirs);

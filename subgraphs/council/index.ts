import { runPartner } from "../kit/run.ts";
import { createServer, migrationDirs } from "./server.ts";

await runPartner("council", createServer, migrationDirs);

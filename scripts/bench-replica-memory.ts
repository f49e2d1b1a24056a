// npm run bench -- replica-memory [--sizes 10000,100000] [--no-write]
// What the gateway's route replica (gateway/route-replica.ts) costs in memory: for each size, the
// generated services on PGlite, the stack started with the replica off and synced, the V8 heap
// measured after a full collection; then a replica started beside it on the same partners, read
// to the end of every feed, and the heap measured again. The difference is the replica's copy
// (its embedded index and the documents its sync keeps). Writes the figures to BENCHMARKS.md.
import "../platform/no-phone-home.ts";
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { generateDataset } from "./generate/dataset.ts";
import { startStack } from "./stack.ts";
import { createRouteReplica } from "../gateway/route-replica.ts";
import { configureLogging, rootLogger } from "../platform/log.ts";
import { benchConfig } from "./config.ts";
import { writeBenchSection } from "./bench/report.ts";
import { untilSynced } from "./bench/synced.ts";

const cfg = benchConfig({ syncIntervalMs: 2000, rateLimit: false });
configureLogging({ service: "bench", level: cfg.logLevel });
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const sizes = flag("sizes", "10000,100000").split(",").map(Number);

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rows: string[] = [];
for (const services of sizes) {
  const data = generateDataset({ services });
  const dbs = {} as Record<PartnerId, Db>;
  for (const p of PARTNERS) {
    dbs[p] = await openDb({});
    await importHsds(dbs[p], data[p]);
  }
  const stack = await startStack(
    { ...cfg.stack, gateway: { ...cfg.stack.gateway, routeReplica: false } },
    { dbs },
  );
  await untilSynced(stack, services);
  const total = await stack.directory.sync.backend.count();
  await sleep(3000);
  const before = heapMb();
  const replica = createRouteReplica({
    partnerUrls: Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])) as Record<
      PartnerId,
      string
    >,
    internalSecret: cfg.stack.gateway.internalSecret,
    syncIntervalMs: 2000,
    logger: rootLogger(),
  });
  const t0 = performance.now();
  replica.start();
  // Every partner's feed read to its end: the replica holds what the directory holds.
  await replica.sync.synced;
  const syncS = (performance.now() - t0) / 1000;
  await sleep(3000);
  const after = heapMb();
  rows.push(
    `| ${services.toLocaleString("en-GB")} | ${total.toLocaleString("en-GB")} | ${syncS.toFixed(1)} | ${before.toFixed(0)} | ${after.toFixed(0)} | ${(after - before).toFixed(0)} | ${(((after - before) / total) * 1000).toFixed(1)} |`,
  );
  console.log(rows.at(-1));
  await replica.close();
  await stack.close();
  for (const p of PARTNERS) await dbs[p].close();
}

const section = [
  `## Route replica memory — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Command: \`npm run bench -- ${argv.join(" ")}\`. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}. Heap is V8's used heap after two full collections, with the stack (partners on PGlite, the directory, the gateway without a replica) synced; then a route replica started beside it on the same partners and read to the end of every feed. PGlite's own memory (outside the V8 heap) is not in these figures.`,
  "",
  "| services generated | in the index | replica's first sync s | heap before MB | heap with the replica MB | replica MB | replica KB per service |",
  "|---:|---:|---:|---:|---:|---:|---:|",
  ...rows,
  "",
].join("\n");
console.log(section);
if (!argv.includes("--no-write"))
  console.log(`Wrote ${await writeBenchSection("replica-memory", section)}`);
process.exit(0);

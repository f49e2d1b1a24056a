// npm run bench -- soak [--minutes 10] [--rate 100] [--concurrency 16] [--services 10000]
//   [--partner health] [--outage-seconds 10] [--warmup-seconds 15] [--client-rps 18] [--no-write]
// --rate R (default 100): an open loop, R requests a second sent from a process of its own
// (scripts/bench/open-loop.ts) whatever the answers, latency counted from when each was due;
// --concurrency clients share the rate, each with its own token. --rate 0: the older closed loop,
// --concurrency clients in this process, each sending its next request when the last is answered
// (at most --client-rps a second).
// --processes: the stack as docker-compose runs it, every subgraph and the gateway a process of its
// own (scripts/bench/process-stack.ts), partners on PostgreSQL (BENCH_POSTGRES_URL), the outage a
// real stop of the partner's process; memory and CPU are then those processes' (from /proc).
// Loads N generated services into the three partners (PGlite), starts the whole stack, and runs
// concurrent mixed traffic through the gateway (search variants, service(id), routeChild with 4
// needs, now and then coverage) for the given minutes. Midway one partner is stopped for the
// outage and started again. Records requests, errors by code, latency per phase (before, during,
// after the outage), memory and the machine's other load, and writes them with this command to
// BENCHMARKS.md between <!-- bench:soak --> and <!-- /bench -->.
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { configureLogging } from "../platform/log.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { generateDataset } from "./generate/dataset.ts";
import { startStack } from "./stack.ts";
import { benchConfig } from "./config.ts";
import { writeBenchSection } from "./bench/report.ts";
import { soakMix, type Op } from "./bench/soak-mix.ts";
import { CHILD_FLAG, codesOf, type OpenLoopJob, type OpenLoopResult } from "./bench/open-loop.ts";
import { startProcessStack, type ProcessStack } from "./bench/process-stack.ts";
import { procCpuS } from "./bench/proc.ts";
import { dropSchemas } from "./bench/pg.ts";

// The soak keeps the rate limit on: each worker is its own client and stays under it.
const cfg = benchConfig({ syncIntervalMs: 2000, rateLimit: true });
configureLogging({ service: "soak", level: cfg.logLevel });

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const minutes = Number(flag("minutes", "10"));
const concurrency = Number(flag("concurrency", "16"));
const rate = Number(flag("rate", "100"));
const size = Number(flag("services", "10000"));
const outageSeconds = Number(flag("outage-seconds", "10"));
const warmupSeconds = Number(flag("warmup-seconds", "15"));
// The gateway rate-limits each client (20 requests/s by default): every worker is its own client
// and stays under that, so the figures are about the partners and not about 429s.
const clientRps = Number(flag("client-rps", "18"));
const victim = flag("partner", "health") as PartnerId;
const write = !argv.includes("--no-write");
const processes = argv.includes("--processes");
if (!PARTNERS.includes(victim)) throw new Error(`--partner must be one of ${PARTNERS.join(", ")}`);
if (!(minutes > 0) || !(concurrency >= 1) || !(size >= 100) || !(rate >= 0))
  throw new Error("--minutes, --concurrency and --services must be positive, --rate 0 or more");

// A collected heap says more about leaks than whatever the last minor GC left.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
/** With --processes: the stack's processes (memory and CPU are theirs, not this process's). */
const meters: { usage?: ProcessStack["usage"]; cpuS?: ProcessStack["cpuS"] } = {};
/** The open-loop load generator's process, once forked. */
let generatorPid: number | undefined;
/** A stopped process reads as NaN: it holds nothing. */
const sum = (xs: number[]) => xs.reduce((a, b) => (Number.isFinite(b) ? a + b : a), 0);

/** The stack's memory: this process after a full GC, or the sum of the stack's processes' RSS. */
function memory() {
  if (meters.usage) return { rssMb: sum(meters.usage().map((u) => u.rssMb)), heapMb: NaN };
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 1e6, heapMb: m.heapUsed / 1e6 };
}

/**
 * Machine-wide busy CPU against the stack's (ownCores) and the rest of this soak's (the load
 * generator, and this process when the stack runs elsewhere), so other people's load shows.
 */
function cpuMeter() {
  const busy = () =>
    os.cpus().reduce((acc, c) => acc + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const read = () => {
    const stackS = meters.cpuS ? meters.cpuS() : self();
    const soakS = (meters.cpuS ? self() : 0) + ((generatorPid && procCpuS(generatorPid)) || 0);
    return { stackS, soakS };
  };
  let machine = busy();
  let before = read();
  let at = performance.now();
  return () => {
    const m = busy();
    const now = read();
    const t = performance.now();
    const wall = t - at;
    const machineCores = (m - machine) / wall;
    const ownCores = ((now.stackS - before.stackS) * 1000) / wall;
    // A process started or restarted between readings (the generator, a partner) counts from 0.
    const soakCores = Math.max(0, ((now.soakS - before.soakS) * 1000) / wall);
    machine = m;
    before = now;
    at = t;
    return {
      machineCores,
      ownCores,
      otherCores: Math.max(0, machineCores - Math.max(0, ownCores) - soakCores),
    };
  };
}

type Phase = "warm-up" | "before" | "during" | "after";
interface Sample {
  /** The phase the answer arrived in: a request in flight when the partner stopped counts as during. */
  phase: Phase;
  startPhase: Phase;
  op: Op;
  /** Seconds since traffic started. */
  t: number;
  ms: number;
  /** Error codes in the response (one entry per error), with the partner for PARTNER_UNAVAILABLE. */
  codes: string[];
}

function stats(xs: number[]) {
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN);
  return {
    n: s.length,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: s.length ? s[s.length - 1]! : NaN,
  };
}
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

// ---- set-up ------------------------------------------------------------------------------------
const cpu = cpuMeter();
await new Promise((r) => setTimeout(r, 2000));
const idleLoad = cpu();
const loadAvgBefore = os.loadavg();

const t0 = performance.now();
const data = generateDataset({ services: size });
const dbs = {} as Record<PartnerId, Db>;
const databaseUrls = Object.fromEntries(
  PARTNERS.map((p) => [p, `${cfg.postgresUrl}?schema=soak_${p}_${process.pid}`]),
) as Record<PartnerId, string>;
for (const p of PARTNERS) {
  dbs[p] = await openDb(processes ? { url: databaseUrls[p] } : {});
  await importHsds(dbs[p], data[p]);
  // The partner's own process opens it.
  if (processes) await dbs[p].close();
}
const serviceIds = PARTNERS.flatMap((p) => data[p].services.map((s) => `${p}:${s.id}`));
const tImport = performance.now();
// /ready shows the gateway's links (breaker, attempts, retries) to operators only.
const operatorToken = cfg.stack.gateway.operatorToken ?? randomUUID();
const stack: Pick<ProcessStack, "gatewayUrl" | "stopPartner" | "startPartner" | "close"> &
  Partial<Pick<ProcessStack, "usage" | "cpuS">> = processes
  ? await startProcessStack({
      databaseUrls,
      dataDir: cfg.dataDir,
      childEnv: cfg.childEnv,
      env: { LOG_LEVEL: cfg.logLevel, OPERATOR_TOKEN: operatorToken },
    })
  : await startStack({ ...cfg.stack, gateway: { ...cfg.stack.gateway, operatorToken } }, { dbs });
meters.usage = stack.usage;
meters.cpuS = stack.cpuS;
const tReady = performance.now();
console.log(
  `${size} services: generate + import ${fmt((tImport - t0) / 1000)} s, stack start + index sync ${fmt((tReady - tImport) / 1000)} s`,
);

const tokens = await Promise.all(
  Array.from({ length: concurrency }, (_, i) =>
    mintDevToken({ role: "professional", sub: `soak-${i}` }),
  ),
);

// ---- traffic -----------------------------------------------------------------------------------
const durationS = minutes * 60;
const outageAt = durationS / 2;
const samples: Sample[] = [];
let phase: Phase = "warm-up";
let trafficStart = 0;
let running = true;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const loopByPhase: Partial<Record<Phase, { p99: number; max: number }>> = {};
const memoryTimeline: {
  t: number;
  rssMb: number;
  heapMb: number;
  otherCores: number;
  ownCores: number;
}[] = [];

const nextRequest = soakMix(serviceIds);
/** Wall-clock (epoch ms) when each phase began: the open loop's answers are placed by these. */
const phaseStarts: [Phase, number][] = [];
const epoch = () => performance.timeOrigin + performance.now();
const phaseAt = (t: number): Phase => {
  let found: Phase = "warm-up";
  for (const [ph, at] of phaseStarts) if (at <= t) found = ph;
  return found;
};

/** The open-loop load generator, forked (through scripts/launch.mjs, as our processes start). */
async function openLoop(job: OpenLoopJob): Promise<OpenLoopResult> {
  const child = fork(
    path.join(import.meta.dirname, "launch.mjs"),
    [path.join(import.meta.dirname, "bench", "open-loop.ts"), CHILD_FLAG],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  generatorPid = child.pid;
  const answer = new Promise<OpenLoopResult>((resolve, reject) => {
    child.once("message", (m) => resolve(m as OpenLoopResult));
    child.once("exit", (code) => reject(new Error(`the load generator exited with ${code}`)));
  });
  child.send(job);
  return answer;
}

async function worker(i: number) {
  const minInterval = clientRps > 0 ? 1000 / clientRps : 0;
  while (running) {
    const { op, query, variables } = nextRequest();
    const started = performance.now();
    const startPhase = phase;
    let codes: string[];
    try {
      const res = await fetch(stack.gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${tokens[i]}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
      codes = codesOf(res.status, await res.text());
    } catch (err) {
      codes = [(err as Error).name === "TimeoutError" ? "CLIENT_TIMEOUT_30S" : "NETWORK_ERROR"];
    }
    const ended = performance.now();
    samples.push({
      phase,
      startPhase,
      op,
      t: (started - trafficStart) / 1000,
      ms: ended - started,
      codes,
    });
    const wait = started + minInterval - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** Closes the current phase's event-loop figures and starts the next phase. */
function enterPhase(next: Phase | null) {
  loopByPhase[phase] = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  loopDelay.reset();
  if (next) {
    phase = next;
    phaseStarts.push([next, epoch()]);
  }
}

const startMem = memory();
const startUsage = stack.usage?.();
trafficStart = performance.now();
const trafficStartEpoch = epoch();
loopDelay.enable();
const workers = rate > 0 ? [] : Array.from({ length: concurrency }, (_, i) => worker(i));
const generated =
  rate > 0
    ? openLoop({
        url: stack.gatewayUrl,
        rate,
        seconds: warmupSeconds + durationS,
        tokens,
        serviceIds,
      })
    : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = () => (performance.now() - trafficStart) / 1000;

// Warm-up, then the measured run; memory and CPU once a minute.
await sleep(warmupSeconds * 1000);
enterPhase("before");
const measuredStart = elapsed();
const sampler = setInterval(() => {
  const m = memory();
  const c = cpu();
  memoryTimeline.push({
    t: elapsed() - measuredStart,
    ...m,
    otherCores: c.otherCores,
    ownCores: c.ownCores,
  });
  console.log(
    `${clock(elapsed() - measuredStart)}  ${phase}  ${rate > 0 ? `${rate} requests/s offered` : `${samples.length} requests`}  rss ${fmt(m.rssMb, 0)} MB  heap ${fmt(m.heapMb, 0)} MB  cpu ours ${fmt(c.ownCores, 2)} others ${fmt(c.otherCores, 2)} cores`,
  );
}, 60_000);
cpu(); // the per-minute readings start here

await sleep(outageAt * 1000);
console.log(`${clock(elapsed() - measuredStart)}  stopping ${victim}`);
await stack.stopPartner(victim);
const stoppedAt = elapsed() - measuredStart;
enterPhase("during");
await sleep(outageSeconds * 1000);
await stack.startPartner(victim);
const restartedAt = elapsed() - measuredStart;
enterPhase("after");
console.log(`${clock(restartedAt)}  ${victim} started again`);
await sleep(Math.max(0, (durationS - outageAt - outageSeconds) * 1000));
running = false;
await Promise.all(workers);
let lateSends = 0;
if (generated) {
  const { samples: answers, late } = await generated;
  lateSends = late;
  for (const a of answers)
    samples.push({
      phase: phaseAt(a.done),
      startPhase: phaseAt(a.due),
      op: a.op,
      t: (a.due - trafficStartEpoch) / 1000,
      ms: a.done - a.due,
      codes: a.codes,
    });
}
clearInterval(sampler);
enterPhase(null);
const endMem = memory();
const endUsage = stack.usage?.();
const endCpu = cpu();
memoryTimeline.push({
  t: elapsed() - measuredStart,
  ...endMem,
  otherCores: endCpu.otherCores,
  ownCores: endCpu.ownCores,
});
const loadAvgAfter = os.loadavg();
const readyAtEnd = (await (
  await fetch(new URL("/ready", stack.gatewayUrl), {
    headers: { authorization: `Bearer ${operatorToken}` },
  })
).json()) as {
  connections?: Record<string, Record<string, unknown>>;
};
const victimLink = readyAtEnd.connections?.[victim] ?? {};
await stack.close();
if (processes) await dropSchemas(cfg.postgresUrl, Object.values(databaseUrls));
else for (const p of PARTNERS) await dbs[p].close();

// ---- figures -----------------------------------------------------------------------------------
const measured = samples.filter((s) => s.phase !== "warm-up");
const tOf = (s: Sample) => s.t - measuredStart;
const PHASES: { phase: Phase; label: string; from: number; to: number }[] = [
  { phase: "before", label: "before the outage", from: 0, to: stoppedAt },
  { phase: "during", label: `${victim} down`, from: stoppedAt, to: restartedAt },
  { phase: "after", label: "after restart", from: restartedAt, to: durationS },
];
const phaseRows = PHASES.map(({ phase: ph, label, from, to }) => {
  const xs = measured.filter((s) => s.phase === ph);
  const failed = xs.filter((s) => s.codes.length > 0).length;
  return {
    ph,
    label,
    from,
    to,
    n: xs.length,
    rps: xs.length / Math.max(1e-9, to - from),
    failed,
    s: stats(xs.map((s) => s.ms)),
  };
});
const opRows = (["search", "service", "routeChild", "coverage"] as Op[]).map((op) => {
  const xs = measured.filter((s) => s.op === op && s.phase === "before");
  return { op, s: stats(xs.map((s) => s.ms)) };
});
const codeCounts = new Map<string, Record<Phase, number>>();
for (const s of measured) {
  for (const c of s.codes) {
    const row = codeCounts.get(c) ?? { "warm-up": 0, before: 0, during: 0, after: 0 };
    row[s.phase]++;
    codeCounts.set(c, row);
  }
}
const unavailable = `PARTNER_UNAVAILABLE (${victim})`;
// Recovery counts requests sent after the restart: those sent while it was down may land after.
const lastUnavailableAfter = measured
  .filter((s) => s.startPhase === "after" && s.codes.includes(unavailable))
  .map(tOf)
  .sort((a, b) => b - a)[0];
const recoveryS = lastUnavailableAfter === undefined ? 0 : lastUnavailableAfter - restartedAt;
const unexpected = [...codeCounts.entries()].filter(
  ([code, row]) => code !== unavailable || row.before > 0 || row["warm-up"] > 0,
);
const warmupCount = samples.length - measured.length;
const peakRss = Math.max(startMem.rssMb, endMem.rssMb, ...memoryTimeline.map((m) => m.rssMb));
const others = memoryTimeline.map((m) => m.otherCores);
const avgOthers = others.length ? others.reduce((a, b) => a + b, 0) / others.length : 0;
const maxOthers = others.length ? Math.max(...others) : 0;
const ownAvg = memoryTimeline.length
  ? memoryTimeline.reduce((a, m) => a + m.ownCores, 0) / memoryTimeline.length
  : 0;

for (const r of phaseRows)
  console.log(
    `${r.label}\t${r.n} requests\t${fmt(r.rps)} req/s\t${r.failed} with errors\tp50 ${fmt(r.s.p50)}\tp95 ${fmt(r.s.p95)}\tp99 ${fmt(r.s.p99)}\tmax ${fmt(r.s.max)} ms`,
  );
for (const [code, row] of codeCounts)
  console.log(`${code}\tbefore ${row.before}\tduring ${row.during}\tafter ${row.after}`);
console.log(
  `recovery ${fmt(recoveryS)} s after restart; rss ${fmt(startMem.rssMb, 0)} → ${fmt(endMem.rssMb, 0)} MB (peak ${fmt(peakRss, 0)}), heap ${fmt(startMem.heapMb, 0)} → ${fmt(endMem.heapMb, 0)} MB`,
);

// Run directly or through `npm run bench -- soak …` (which imports this file).
const viaBench = argv[0] === "soak";
const command = `${viaBench ? "npm run bench -- soak" : "npx tsx scripts/soak.ts"} ${argv
  .filter((a, i) => a !== "--no-write" && !(viaBench && i === 0))
  .join(" ")}`.trim();
const loadNote =
  avgOthers >= 0.25 || idleLoad.otherCores >= 0.25
    ? `**Other load was present**: other processes used ${fmt(idleLoad.otherCores, 2)} cores just before the run and on average ${fmt(avgOthers, 2)} (at most ${fmt(maxOthers, 2)}) of the 2 during it (1-min load average ${fmt(loadAvgBefore[0]!, 2)} before, ${fmt(loadAvgAfter[0]!, 2)} after), so latencies are higher than on a quiet machine.`
    : `The machine was otherwise quiet: other processes used ${fmt(avgOthers, 2)} cores on average (at most ${fmt(maxOthers, 2)}).`;
const section = [
  `## Soak: ${minutes} minutes of mixed traffic with a partner outage — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `Command: \`${command}\`. ${
    rate > 0
      ? `An open loop: ${rate} requests/s sent evenly from a load generator in a process of its own, whatever the answers (as independent users arrive), by ${concurrency} clients in turn, each its own token (${fmt(rate / concurrency)} requests/s each, under the gateway's per-client rate limit). Each latency is counted from when the request was due, so a queue at the server shows in it; ${lateSends} requests were sent more than 5 ms late because the generator was busy.`
      : `${concurrency} concurrent clients, each its own token and at most ${clientRps} requests/s (under the gateway's per-client rate limit), in a closed loop in the stack's process.`
  } The mix: 45 % searchServices (7 variants), 30 % service(id) over all ${serviceIds.length.toLocaleString("en-GB")} services, 22 % routeChild with 4 needs, 3 % coverage, all as professionals (nothing is answered from the public read cache). ${warmupSeconds} s of warm-up (${warmupCount} requests) are not counted. At ${clock(stoppedAt)} the ${victim} partner's server was stopped for ${outageSeconds} s, then started again on the same port.`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; partners on ${processes ? "PostgreSQL 15 (127.0.0.1)" : "PGlite"}; search on the embedded index; gateway policy: 3 s timeout per attempt, one retry for reads, circuit opens after 5 consecutive failures for 5 s. ${processes ? "As docker-compose runs it: the three partners, the directory and the gateway each a process of its own (development settings with a non-default INTERNAL_SECRET), the load generator another, over loopback HTTP; the outage stops the partner's process and starts a new one on the same port." : rate > 0 ? "The gateway, the directory and the three partners in one process (one thread), the load generator in another, over loopback HTTP." : "Everything, the load generator included, in one process over loopback HTTP, so the clients' own work is in the latencies and it competes for the same event loop."}`,
  loadNote,
  "",
  `- ${size.toLocaleString("en-GB")} services: generate + import ${fmt((tImport - t0) / 1000)} s, stack start + full index sync ${fmt((tReady - tImport) / 1000)} s`,
  processes
    ? `- Memory: RSS of the stack's five processes together (no GC forced) ${fmt(startMem.rssMb, 0)} MB at the start of traffic, ${fmt(endMem.rssMb, 0)} MB at the end (peak ${fmt(peakRss, 0)} MB); each minute and at the end: ${memoryTimeline.map((m) => fmt(m.rssMb, 0)).join(", ")} MB. Per process, start → end: ${(endUsage ?? []).map((u) => `${u.name} ${fmt(startUsage?.find((x) => x.name === u.name)?.rssMb ?? NaN, 0)} → ${fmt(u.rssMb, 0)} MB`).join(", ")} (the restarted partner's is its new process's).`
    : `- Memory (after a full GC): RSS ${fmt(startMem.rssMb, 0)} MB at the start of traffic, ${fmt(endMem.rssMb, 0)} MB at the end (peak ${fmt(peakRss, 0)} MB); heap used ${fmt(startMem.heapMb, 0)} → ${fmt(endMem.heapMb, 0)} MB. RSS each minute and at the end: ${memoryTimeline.map((m) => fmt(m.rssMb, 0)).join(", ")} MB; heap: ${memoryTimeline.map((m) => fmt(m.heapMb, 0)).join(", ")} MB.`,
  `- Recovery: the last PARTNER_UNAVAILABLE for ${victim} came ${fmt(recoveryS)} s after it was back (the circuit's cool-down and trial; the directory's own sync catches up on its interval).`,
  `- Errors other than the expected PARTNER_UNAVAILABLE for ${victim} during and after its outage: ${unexpected.length ? unexpected.map(([c, r]) => `${c} (before ${r.before}, during ${r.during}, after ${r.after})`).join("; ") : "none"}.`,
  `- The gateway's link to ${victim} at the end (/ready): circuit ${victimLink.breaker}; ${victimLink.attempts} attempts, ${victimLink.retries} retries, ${victimLink.failures} failed attempts, ${victimLink.failedFast} calls refused while the circuit was open.`,
  "",
  "| phase | window (m:ss) | requests | req/s | requests with errors | p50 ms | p95 ms | p99 ms | max ms | event-loop delay p99 / max ms |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...phaseRows.map(
    (r) =>
      `| ${r.label} | ${clock(r.from)}–${clock(r.to)} | ${r.n.toLocaleString("en-GB")} | ${fmt(r.rps)} | ${r.failed.toLocaleString("en-GB")} | ${fmt(r.s.p50)} | ${fmt(r.s.p95)} | ${fmt(r.s.p99)} | ${fmt(r.s.max)} | ${processes ? "–" : `${fmt(loopByPhase[r.ph]?.p99 ?? NaN)} / ${fmt(loopByPhase[r.ph]?.max ?? NaN)}`} |`,
  ),
  "",
  "| error code | before | during | after |",
  "|---|---:|---:|---:|",
  ...(codeCounts.size
    ? [...codeCounts].map(([c, r]) => `| ${c} | ${r.before} | ${r.during} | ${r.after} |`)
    : ["| (none) | 0 | 0 | 0 |"]),
  "",
  "Before the outage, by operation:",
  "",
  "| operation | requests | p50 ms | p95 ms | p99 ms | max ms |",
  "|---|---:|---:|---:|---:|---:|",
  ...opRows.map(
    (r) =>
      `| ${r.op} | ${r.s.n.toLocaleString("en-GB")} | ${fmt(r.s.p50)} | ${fmt(r.s.p95)} | ${fmt(r.s.p99)} | ${fmt(r.s.max)} |`,
  ),
  "",
  `The stack used ${fmt(ownAvg, 2)} cores on average${processes ? " (its five processes together; the event-loop column is blank because they are not this process)" : ""}${rate > 0 ? " (the load generator's are not counted)" : ", its clients included"}.`,
  "",
].join("\n");

if (write) {
  console.log(`\nWrote ${await writeBenchSection("soak", section)}`);
} else {
  console.log("\n" + section);
}
process.exit(0);

// npm run bench -- start [--runs 3] [--restarts 2] [--no-write]
// Time from `npm start` to ready, as someone typing it sees it: on a first run (an empty DATA_DIR:
// databases created, generated data loaded, the directory's first sync and index) and on a restart
// (the same DATA_DIR after a clean Ctrl-C). "Ready" is the gateway's GET /ready answering "ready"
// with every subgraph up AND the README's first search answering with services (names and
// organizations), polled every 50 ms from the moment `npm start` is spawned. Besides wall time it
// reports the CPU seconds the process tree used until then (from /proc: robust to other load on
// the machine, which wall time is not) and the load average. Targets (issue 14): ≤ 5 s on a
// restart, ≤ 10 s on a first run. Writes the figures, with this command, to BENCHMARKS.md.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PARTNERS } from "../schema/vocabulary.ts";
import { writeBenchSection } from "./bench/report.ts";
import { childEnv } from "./config.ts";
import { parseStat } from "./bench/proc.ts";

const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const runs = Number(flag("runs", "3"));
const restarts = Number(flag("restarts", "2"));
const write = !argv.includes("--no-write");
const TARGET_FIRST_S = 10;
const TARGET_RESTART_S = 5;
const TIMEOUT_MS = 300_000;

const SEARCH = /* GraphQL */ `
  {
    searchServices(query: "camhs", first: 3) {
      totalCount
      edges {
        node {
          name
          partner
          organization {
            name
          }
        }
      }
    }
  }
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) used so far by pid and every process below it. */
async function treeCpuSeconds(root: number): Promise<number> {
  const procs = new Map<number, { ppid: number; cpuS: number }>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      procs.set(Number(name), parseStat(await readFile(`/proc/${name}/stat`, "utf8")));
    } catch {
      // gone meanwhile
    }
  }
  let cpuS = 0;
  for (const [pid, p] of procs) {
    for (let q: number | undefined = pid; q && q > 1; q = procs.get(q)?.ppid) {
      if (q === root) {
        cpuS += p.cpuS;
        break;
      }
    }
  }
  return cpuS;
}

async function readyNow(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return false;
    const body = (await res.json()) as { status: string; subgraphs: Record<string, string> };
    const names = [...PARTNERS, "directory"];
    return body.status === "ready" && names.every((n) => body.subgraphs[n] === "up");
  } catch {
    return false;
  }
}

async function searchAnswers(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: SEARCH }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as {
      errors?: unknown[];
      data?: {
        searchServices: {
          totalCount: number;
          edges: { node: { name: string | null; organization: { name: string | null } | null } }[];
        };
      };
    };
    const s = body.data?.searchServices;
    return (
      !body.errors?.length &&
      !!s &&
      s.totalCount > 0 &&
      s.edges.length > 0 &&
      s.edges.every((e) => e.node.name && e.node.organization?.name)
    );
  } catch {
    return false;
  }
}

interface Launch {
  kind: "first run" | "restart";
  readyS: number;
  /** When the process printed its own "gateway ready" line. */
  printedS: number | null;
  cpuS: number;
  load: [number, number];
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  // Ctrl-C in a terminal: SIGINT to the whole foreground group (npm, tsx and node).
  process.kill(-child.pid!, "SIGINT");
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

async function launch(kind: Launch["kind"], dataDir: string): Promise<Launch> {
  const ports = {
    GATEWAY_PORT: await freePort(),
    DIRECTORY_PORT: await freePort(),
    ...Object.fromEntries(
      await Promise.all(PARTNERS.map(async (p) => [`${p.toUpperCase()}_PORT`, await freePort()])),
    ),
  };
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const load0 = os.loadavg()[0]!;
  const t0 = performance.now();
  const child = spawn("npm", ["start", "--silent"], {
    env: {
      ...childEnv(),
      NPM_CONFIG_UPDATE_NOTIFIER: "false",
      DATA_DIR: dataDir,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let printedS: number | null = null;
  let output = "";
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (printedS === null && output.includes("Wayfinder gateway ready at"))
      printedS = (performance.now() - t0) / 1000;
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  try {
    while (!(await readyNow(base)) || !(await searchAnswers(base))) {
      if (child.exitCode !== null)
        throw new Error(`npm start exited with ${child.exitCode}:\n${output.slice(-2000)}`);
      if (performance.now() - t0 > TIMEOUT_MS)
        throw new Error(`not ready after ${TIMEOUT_MS / 1000} s:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const readyS = (performance.now() - t0) / 1000;
    const cpuS = await treeCpuSeconds(child.pid!);
    return { kind, readyS, printedS, cpuS, load: [load0, os.loadavg()[0]!] };
  } finally {
    await stop(child);
  }
}

const launches: Launch[] = [];
for (let r = 0; r < runs; r++) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "wayfinder-bench-start-"));
  try {
    for (let i = 0; i <= restarts; i++) {
      const l = await launch(i === 0 ? "first run" : "restart", dataDir);
      launches.push(l);
      console.log(
        `${l.kind.padEnd(9)} ready in ${l.readyS.toFixed(2)} s (printed ready at ${l.printedS?.toFixed(2) ?? "?"} s), ${l.cpuS.toFixed(2)} CPU s, load ${l.load[0].toFixed(1)} → ${l.load[1].toFixed(1)}`,
      );
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const summary = (kind: Launch["kind"], target: number) => {
  const ls = launches.filter((l) => l.kind === kind);
  const ready = ls.map((l) => l.readyS);
  const cpu = ls.map((l) => l.cpuS);
  const loads = ls.flatMap((l) => l.load);
  return `| ${kind} | ${ls.length} | ${median(ready).toFixed(2)} | ${Math.min(...ready).toFixed(2)}–${Math.max(...ready).toFixed(2)} | ${median(cpu).toFixed(2)} | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} | ≤ ${target} s: ${median(ready) <= target ? "met" : "missed"} |`;
};
const uptime = execFileSync("uptime").toString().trim();
const date = new Date().toISOString().slice(0, 16).replace("T", " ");
const section = [
  `## npm start to ready — ${date} UTC`,
  "",
  `Command: \`npm run bench -- start --runs ${runs} --restarts ${restarts}\`. Each run spawns \`npm start\` (development defaults: file-backed PGlite per partner and the directory's state store under a fresh DATA_DIR, the embedded search index) on free ports; "ready" is GET /ready answering \`ready\` with every subgraph up and the README's first search (\`searchServices(query: "camhs", first: 3)\` with names and organizations) answering with services, polled every 50 ms from the spawn. A first run starts from an empty DATA_DIR (databases created, generated data loaded, the directory's first full sync); a restart reuses it after a clean Ctrl-C (SIGINT to the process group). CPU s is what the process tree (npm, tsx, node) used until ready, read from /proc: it does not grow with other processes' load the way wall time does.`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; \`uptime\` at the end: ${uptime}.${Math.max(...launches.flatMap((l) => l.load)) > os.cpus().length ? ` **The machine was loaded by other work (load average above ${os.cpus().length}, the core count), so wall times are upper bounds; CPU s is the steadier figure.**` : ""}`,
  "",
  "| start | launches | median s to ready | range s | median CPU s | load (1 min) | target |",
  "|---|---:|---:|---|---:|---|---|",
  summary("first run", TARGET_FIRST_S),
  summary("restart", TARGET_RESTART_S),
  "",
  "Each launch, in order:",
  "",
  ...launches.map(
    (l) =>
      `- ${l.kind}: ready ${l.readyS.toFixed(2)} s (its own "gateway ready" line at ${l.printedS?.toFixed(2) ?? "?"} s), ${l.cpuS.toFixed(2)} CPU s, load ${l.load[0].toFixed(1)} → ${l.load[1].toFixed(1)}`,
  ),
  "",
].join("\n");

console.log(`\n${section}`);
if (write) {
  console.log(`Wrote ${await writeBenchSection("start", section)}`);
}
process.exit(0);

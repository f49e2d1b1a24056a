// The stack as docker-compose.yml runs it, for the soak: every partner subgraph, the directory and
// the gateway each a process of its own (`node scripts/launch.mjs scripts/start-subgraph.ts <name>`,
// `… gateway/index.ts`, what `npm run start:subgraph` and `npm run start:gateway` run), partners on
// PostgreSQL, a non-default INTERNAL_SECRET. A partner can be stopped (SIGTERM, a real outage) and
// started again on the same port. Each process's memory and CPU are read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { PARTNERS, type PartnerId } from "../../schema/vocabulary.ts";
import { procCpuS, procRssMb } from "./proc.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const READY = /ready at (http:\/\/\S+)/;

interface Proc {
  name: string;
  child: ChildProcess;
  url: string;
}

export interface ProcessStack {
  gatewayUrl: string;
  stopPartner(p: PartnerId): Promise<void>;
  startPartner(p: PartnerId): Promise<void>;
  /** Resident memory (MB) and CPU seconds so far, per process. */
  usage(): { name: string; rssMb: number; cpuS: number }[];
  /** CPU seconds of every process started so far: a stopped one counts what it had used. */
  cpuS(): number;
  close(): Promise<void>;
}

function launch(
  name: string,
  entry: string[],
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<Proc> {
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "launch.mjs"), ...entry], {
    cwd: ROOT,
    // Only the stack's settings (and PATH and HOME, passed in by the caller's config): nothing
    // else of this shell leaks in.
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} printed no ready line:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = READY.exec(out);
      if (m) {
        clearTimeout(timer);
        // Keep draining its output (warnings) so the pipe never fills.
        out = "";
        resolve({ name, child, url: m[1]! });
      } else if (out.length > 1e6) out = out.slice(-1e5);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code} before it was ready:\n${out}`));
    });
  });
}

const gone = (p: Proc) => p.child.exitCode !== null || p.child.signalCode !== null;

async function stop(p: Proc) {
  if (gone(p)) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGTERM");
  const killer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(killer);
}

/**
 * Starts the partners on `databaseUrls`, then the directory (its state in `dataDir`), then the
 * gateway. `env` is added to every process (LOG_LEVEL, OPERATOR_TOKEN …).
 */
export async function startProcessStack(opts: {
  databaseUrls: Record<PartnerId, string>;
  dataDir: string;
  /** What every process needs from the caller's environment to run at all (PATH, HOME). */
  childEnv: Record<string, string>;
  env?: Record<string, string>;
}): Promise<ProcessStack> {
  const common = {
    ...opts.childEnv,
    INTERNAL_SECRET: `soak-${randomBytes(24).toString("hex")}`,
    DATA_DIR: opts.dataDir,
    HOST: "127.0.0.1",
    ...opts.env,
  };
  const partnerEnv = (p: PartnerId, port: string) => ({
    ...common,
    [`${p.toUpperCase()}_DATABASE_URL`]: opts.databaseUrls[p],
    [`${p.toUpperCase()}_PORT`]: port,
  });
  const procs = new Map<string, Proc>();
  let retiredCpuS = 0;
  // Whatever happens to the soak (an error, Ctrl-C), none of its processes outlives it.
  process.once("exit", () => {
    for (const p of procs.values()) if (!gone(p)) p.child.kill("SIGKILL");
  });
  const started = await Promise.allSettled(
    PARTNERS.map((p) => launch(p, ["scripts/start-subgraph.ts", p], partnerEnv(p, "0"))),
  );
  for (const r of started) if (r.status === "fulfilled") procs.set(r.value.name, r.value);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all([...procs.values()].map(stop));
    throw failed.reason;
  }
  const urls = Object.fromEntries(
    PARTNERS.map((p) => [`${p.toUpperCase()}_URL`, procs.get(p)!.url]),
  );
  const directory = await launch("directory", ["scripts/start-subgraph.ts", "directory"], {
    ...common,
    ...urls,
    DIRECTORY_PORT: "0",
  });
  procs.set("directory", directory);
  const gateway = await launch("gateway", ["gateway/index.ts"], {
    ...common,
    ...urls,
    DIRECTORY_URL: directory.url,
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: "0",
  });
  procs.set("gateway", gateway);

  return {
    gatewayUrl: gateway.url,
    async stopPartner(p) {
      const proc = procs.get(p)!;
      const before = procCpuS(proc.child.pid!);
      await stop(proc);
      retiredCpuS += before ?? 0;
    },
    async startPartner(p) {
      const port = new URL(procs.get(p)!.url).port;
      procs.set(p, await launch(p, ["scripts/start-subgraph.ts", p], partnerEnv(p, port)));
    },
    cpuS: () =>
      retiredCpuS + [...procs.values()].reduce((sum, p) => sum + (procCpuS(p.child.pid!) ?? 0), 0),
    usage: () =>
      [...procs.values()].map((p) => ({
        name: p.name,
        rssMb: procRssMb(p.child.pid!) ?? NaN,
        cpuS: procCpuS(p.child.pid!) ?? NaN,
      })),
    async close() {
      await Promise.all([...procs.values()].map(stop));
    },
  };
}

// The bench's load generator, run in a process of its own (forked by scripts/bench.ts) so that the
// stack's process.cpuUsage counts the gateway, the directory and the partners only, not the client.
// Reads one job from IPC: autocannon at `url` with `connections` for `seconds`, POSTing the given
// bodies in turn; answers with requests/s, latency percentiles and the count of failed answers.
import { fork } from "node:child_process";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";

const LOAD_CHILD_FLAG = "--load-child";

export interface LoadJob {
  url: string;
  bodies: string[];
  connections: number;
  seconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Answers other than HTTP 200, GraphQL errors in the body, connection errors and timeouts. */
  bad: number;
}

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  let k = 0;
  let bad = 0;
  const times: number[] = [];
  const instance = autocannon({
    url: job.url,
    method: "POST",
    connections: job.connections,
    duration: job.seconds,
    headers: { "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: job.bodies[k++ % job.bodies.length],
        }),
        onResponse: (status: number, body: string) => {
          if (status !== 200 || body.includes('"errors"')) bad++;
        },
      },
    ],
  });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    times.push(ms);
  });
  const result = await instance;
  times.sort((a, b) => a - b);
  const seconds = result.duration || job.seconds;
  return {
    requests: result.requests.total,
    seconds,
    perSecond: result.requests.total / seconds,
    p50: pct(times, 0.5),
    p95: pct(times, 0.95),
    p99: pct(times, 0.99),
    max: times.at(-1) ?? NaN,
    bad: bad + result.errors + result.timeouts,
  };
}

/** Runs one load job in a forked process; this process's CPU is measured over the same window. */
export async function underLoad(job: LoadJob) {
  // Through scripts/launch.mjs, as every process of ours starts: `npm run bench` runs this file as a
  // bundle, with no TypeScript loader for a .ts child to inherit.
  const child = fork(
    path.join(import.meta.dirname, "..", "launch.mjs"),
    [path.join(import.meta.dirname, "load.ts"), LOAD_CHILD_FLAG],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  const answer = new Promise<LoadResult>((resolve, reject) => {
    child.once("message", (m) => resolve(m as LoadResult));
    child.once("exit", (code) => reject(new Error(`the load process exited with ${code}`)));
  });
  const loadBefore = os.loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  child.send(job);
  const r = await answer;
  const cpu = process.cpuUsage(cpu0);
  return {
    r,
    cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(1, r.requests),
    load: [loadBefore, os.loadavg()[0]!] as const,
  };
}

// Forked (with the flag, so a process that imports underLoad is never taken for the child): one job
// in, its result out, then exit.
if (process.send && process.argv.includes(LOAD_CHILD_FLAG)) {
  process.once("message", (job: LoadJob) => {
    void runLoad(job).then(
      (r) => process.send!(r, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

// The bench's load generator, run in a process of its own (forked by scripts/bench.ts) so that the
// stack's process.cpuUsage counts the gateway, the directory and the partners only, not the client.
// Reads one job from IPC: autocannon at `url` with `connections` for `seconds`, POSTing the given
// bodies in turn; answers with requests/s, latency percentiles and the count of failed answers.
import autocannon from "autocannon";

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

// Forked: one job in, its result out, then exit.
if (process.send) {
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

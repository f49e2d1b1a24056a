// The soak's open-loop load generator, run in a process of its own (forked by scripts/soak.ts): it
// sends the soak's mix at a fixed rate whatever the answers, the way independent users arrive, so
// a slow answer does not hold the next request back (a closed loop would wait, and its latencies
// would hide the queue: "coordinated omission"). Each request's latency is counted from when it was
// due, not from when it could be sent. Times are wall-clock epoch milliseconds, so the soak's
// process can place every answer in its phases (before, during and after the outage).
import http from "node:http";
import { soakMix, type Op } from "./soak-mix.ts";

export interface OpenLoopJob {
  url: string;
  /** Requests per second, spread evenly. */
  rate: number;
  seconds: number;
  /** One per client; requests take them in turn, so each client stays under the rate limit. */
  tokens: string[];
  serviceIds: string[];
  seed?: number;
}

export interface OpenLoopSample {
  op: Op;
  /** When the request was due (epoch ms). */
  due: number;
  /** When its answer had arrived in full (epoch ms). */
  done: number;
  /** Error codes in the answer, one per error (PARTNER_UNAVAILABLE with its partner). */
  codes: string[];
}

export interface OpenLoopResult {
  samples: OpenLoopSample[];
  /** Requests that were due but sent more than 5 ms late because this process was busy. */
  late: number;
}

const now = () => performance.timeOrigin + performance.now();

function send(
  agent: http.Agent,
  url: URL,
  token: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The error codes of a gateway answer, one per error (PARTNER_UNAVAILABLE with its partner). */
export function codesOf(status: number, text: string): string[] {
  let body: { errors?: { extensions?: { code?: string; partner?: string } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return [`HTTP_${status}`];
  }
  const codes = (body.errors ?? []).map((e) => {
    const code = e.extensions?.code ?? "NO_CODE";
    return code === "PARTNER_UNAVAILABLE" ? `${code} (${e.extensions?.partner})` : code;
  });
  return status !== 200 && codes.length === 0 ? [`HTTP_${status}`] : codes;
}

export async function runOpenLoop(job: OpenLoopJob): Promise<OpenLoopResult> {
  const url = new URL(job.url);
  // Enough sockets that a slow stretch queues at the server, not in this client.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const next = soakMix(job.serviceIds, job.seed);
  const samples: OpenLoopSample[] = [];
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / job.rate;
  const start = now();
  const total = Math.floor(job.seconds * job.rate);
  let late = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -5) late++;
    const { op, query, variables } = next();
    const token = job.tokens[i % job.tokens.length]!;
    const p = send(agent, url, token, JSON.stringify({ query, variables })).then(
      ({ status, text }) => {
        samples.push({ op, due, done: now(), codes: codesOf(status, text) });
      },
      (err: Error) => {
        samples.push({
          op,
          due,
          done: now(),
          codes: [err.name === "TimeoutError" ? "CLIENT_TIMEOUT_30S" : "NETWORK_ERROR"],
        });
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { samples, late };
}

/** The argument scripts/soak.ts forks this file with: only then does it wait for a job. */
export const CHILD_FLAG = "--open-loop-child";

// Forked: one job in, its result out, then exit. (Imported anywhere else, e.g. by a test in a
// worker that has an IPC channel of its own, it does nothing.)
if (process.send && process.argv.includes(CHILD_FLAG)) {
  process.once("message", (job: OpenLoopJob) => {
    void runOpenLoop(job).then(
      (r) => process.send!(r, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

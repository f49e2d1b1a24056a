// Runs Wayfinder processes the way operators do (`npm run start:subgraph -- council`, `npm start` …)
// in their own process groups, waits for their "ready at" lines, and kills the whole group at the end.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** The first URL after "ready at" (or another pattern). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

/**
 * The environment a process gets: only what npm and node need from ours, plus `env`. Nothing from
 * the test runner (NODE_ENV=test, LOG_LEVEL …) leaks in.
 */
export function baseEnv(env: Record<string, string>): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"];
  return {
    ...Object.fromEntries(
      keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]),
    ),
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    ...env,
  };
}

export function runNpm(args: string[], env: Record<string, string>, cwd = ROOT): RunningProcess {
  const child = spawn("npm", ["run", "--silent", ...args], {
    cwd,
    env: baseEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      for (const l of listeners) l();
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 480_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          } else if (exitCode !== undefined) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(
              new Error(`npm run ${args.join(" ")} exited ${exitCode} before ${pattern}:\n${out}`),
            );
          }
        };
        // A deadline for a hung start only; nothing is asserted about how long it takes.
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`npm run ${args.join(" ")} printed no ${pattern}:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return exitCode ?? null;
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

export const READY_URL = /ready at (http:\/\/\S+)/;

/**
 * Ports that are free on `host` right now, as the OS hands them out for port 0, for a process that
 * must be told its port (a test of the *_PORT variables). Held together while asked for, so they
 * differ from each other.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, host, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

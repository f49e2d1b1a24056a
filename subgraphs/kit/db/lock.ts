// One writer per embedded database. PGlite is one process's private copy of PostgreSQL: a second
// process opening the same directory writes beside the first, which never sees those writes (and
// can corrupt them). So the process that opens a file-backed database holds a lock file beside it,
// naming its pid and, once it serves, the URL where writes must go instead (the partner's admin
// import endpoint). PostgreSQL needs no lock: it is built for many writers.
import { open, readFile, rm, writeFile } from "node:fs/promises";

export interface LockInfo {
  pid: number;
  startedAt: string;
  /** GraphQL URL of the subgraph serving this database, once it listens. */
  url?: string;
  /** What holds it, e.g. "council subgraph". */
  holder?: string;
}

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
  constructor(
    readonly dataDir: string,
    readonly owner: LockInfo,
  ) {
    super(
      `the database at ${dataDir} is open in process ${owner.pid}${owner.holder ? ` (${owner.holder}${owner.url ? ` at ${owner.url}` : ""})` : ""}; ` +
        `an embedded database has one writer. Send the change through that process${owner.url ? "" : " once it is ready"}, or stop it first.`,
    );
  }
}

export const lockPath = (dataDir: string) => `${dataDir.replace(/[\\/]+$/, "")}.lock`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live holder of a database's lock; null when none (or its process has died). */
export async function readLock(dataDir: string): Promise<LockInfo | null> {
  try {
    const info = JSON.parse(await readFile(lockPath(dataDir), "utf8")) as LockInfo;
    return Number.isInteger(info.pid) && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

export interface DbLock {
  /** Records where this database is served, for other processes (npm run import) to find. */
  advertise(info: { url: string; holder: string }): Promise<void>;
  release(): Promise<void>;
}

export async function acquireLock(dataDir: string): Promise<DbLock> {
  const file = lockPath(dataDir);
  const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw err;
      const owner = await readLock(dataDir);
      if (owner) throw new DatabaseInUseError(dataDir, owner);
      // Left by a process that died: take it over.
      await rm(file, { force: true });
    }
  }
  let held = true;
  return {
    async advertise(more) {
      if (!held) return;
      Object.assign(info, more);
      await writeFile(file, JSON.stringify(info));
    },
    async release() {
      if (!held) return;
      held = false;
      const current = await readFile(file, "utf8").catch(() => "");
      if (current.includes(`"pid":${process.pid},`)) await rm(file, { force: true });
    },
  };
}

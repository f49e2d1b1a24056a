// What the benches read of a process from /proc (Linux): its CPU time and resident memory, robust
// to other load on the machine in a way wall time is not.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export const TICK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** Fields 3… of /proc/<pid>/stat text (after the command name, which may hold spaces). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** A /proc/<pid>/stat text's parent pid and CPU seconds (user + system). */
export function parseStat(stat: string): { ppid: number; cpuS: number } {
  const f = statFields(stat);
  return { ppid: Number(f[1]), cpuS: (Number(f[11]) + Number(f[12])) / TICK };
}

/** CPU seconds (user + system) pid has used so far, or null when it is gone or not local. */
export function procCpuS(pid: number): number | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8")).cpuS;
  } catch {
    return null;
  }
}

/** Resident memory of pid in MB, or null when it is gone. */
export function procRssMb(pid: number): number | null {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? (kb * 1024) / 1e6 : null;
  } catch {
    return null;
  }
}

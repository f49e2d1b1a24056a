// A clock that only moves when a test moves it, for the gateway's partner timeouts and circuit
// breaker (gateway/datasource.ts Clock): a test waits for the event it is about (the partner got
// the call, the circuit opened), then moves time past the timeout or the cool-down, so nothing it
// asserts depends on how fast the machine is.
import type { Clock } from "../../gateway/datasource.ts";

export class ManualClock implements Clock {
  private time = Date.now();
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    this.time += ms;
    const due = [...this.timers]
      .filter(([, t]) => t.at <= this.time)
      .sort((a, b) => a[1].at - b[1].at);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
  }
}

/** One manual clock per subgraph name: time stands still for all of them until a test moves one. */
export function manualClocks(names: readonly string[]): Record<string, ManualClock> {
  return Object.fromEntries(names.map((n) => [n, new ManualClock()]));
}

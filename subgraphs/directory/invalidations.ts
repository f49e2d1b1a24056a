// What changed in the directory's copy, for caches in front of it (the gateway's public read cache):
// every feed page the sync applies is recorded with the ids it touched; a partner going down or
// coming back, or a reindex swapping the index, is recorded as "everything" (search results carry
// `stale` flags). Readers long-poll GET /invalidations?epoch=&since=<generation>.
import { randomUUID } from "node:crypto";
import type { Route } from "../../platform/http.ts";

/** What a reader must drop: these service ids, or everything (null). */
export interface Invalidation {
  /** Changes when the directory restarts: a reader holding another epoch drops everything. */
  epoch: string;
  generation: number;
  ids: string[] | null;
}

const KEEP = 1000;
const MAX_WAIT_MS = 25_000;

export class ChangeLog {
  readonly epoch = randomUUID();
  generation = 0;
  private entries: { generation: number; ids: string[] | null }[] = [];
  private waiters = new Set<() => void>();

  /** Services changed in the index (ids), or everything a cached answer might show (null). */
  record(ids: string[] | null): void {
    if (ids && ids.length === 0) return;
    this.generation++;
    this.entries.push({ generation: this.generation, ids });
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Everything after `since`; null ids when the log no longer reaches back that far. */
  since(epoch: string | null, since: number): Invalidation {
    const head = { epoch: this.epoch, generation: this.generation };
    if (epoch !== this.epoch || since > this.generation) return { ...head, ids: null };
    if (since === this.generation) return { ...head, ids: [] };
    const first = this.entries[0];
    if (!first || first.generation > since + 1) return { ...head, ids: null };
    const ids = new Set<string>();
    for (const e of this.entries) {
      if (e.generation <= since) continue;
      if (e.ids === null) return { ...head, ids: null };
      for (const id of e.ids) ids.add(id);
    }
    return { ...head, ids: [...ids] };
  }

  /** Resolves at the next change, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      // A long-poll must never keep a stopping process alive (close() also ends every wait).
      const timer = setTimeout(done, ms);
      timer.unref?.();
      this.waiters.add(done);
    });
  }

  /** Ends every long-poll now (the directory is stopping). */
  close(): void {
    for (const done of [...this.waiters]) done();
  }

  /** GET /invalidations?epoch=<epoch>&since=<generation>&waitMs=<ms>: long-polls while nothing is new. */
  route(): Route {
    return async (_req, url) => {
      const epoch = url.searchParams.get("epoch");
      const since = Number(url.searchParams.get("since") ?? "0");
      const waitMs = Math.min(
        Math.max(Number(url.searchParams.get("waitMs") ?? "0") || 0, 0),
        MAX_WAIT_MS,
      );
      if (!Number.isInteger(since) || since < 0)
        return { status: 400, body: { error: "since must be a generation number" } };
      if (epoch === this.epoch && since === this.generation && waitMs > 0) await this.wait(waitMs);
      return {
        status: 200,
        body: this.since(epoch, since),
        headers: { "cache-control": "no-store" },
      };
    };
  }
}

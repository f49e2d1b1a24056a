// The directory's series: how far behind each partner's feed the index is, whether the last read
// of each feed worked, and how many documents the index holds.
import client from "prom-client";
import type { Metrics } from "../../platform/metrics.ts";
import type { DirectorySync } from "./sync.ts";

export function directoryMetrics(metrics: Metrics, sync: DirectorySync): void {
  const registers = [metrics.registry];
  new client.Gauge({
    name: "wayfinder_sync_lag_seconds",
    help: "Seconds since the last successful read of each partner's change feed (since start when never read)",
    labelNames: ["partner"],
    registers,
    collect() {
      const now = Date.now();
      for (const s of sync.status.values()) {
        this.set({ partner: s.partner }, (now - (s.lastSyncAt ?? sync.startedAt).getTime()) / 1000);
      }
    },
  });
  new client.Gauge({
    name: "wayfinder_sync_partner_up",
    help: "1 when the last read of the partner's change feed worked, else 0",
    labelNames: ["partner"],
    registers,
    collect() {
      for (const s of sync.status.values()) this.set({ partner: s.partner }, s.reachable ? 1 : 0);
    },
  });
  new client.Gauge({
    name: "wayfinder_search_index_documents",
    help: "Documents in the live search index",
    labelNames: ["backend"],
    registers,
    async collect() {
      this.reset();
      // An unreachable Meilisearch leaves the series out rather than failing the whole scrape.
      const count = await sync.backend.count().catch(() => null);
      if (count !== null) this.set({ backend: sync.backend.name }, count);
    },
  });
}

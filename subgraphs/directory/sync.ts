// Keeps the search index in step with the partners: pulls each partner's change feed from a cursor,
// upserts changed services, removes deleted or closed ones. A partner that is down is skipped and
// retried next round; its last good documents stay searchable and are reported stale.
import type { PartnerId } from "../../schema/vocabulary.ts";
import { PARTNERS, ageBandsFor, localAuthorityInfo } from "../../schema/vocabulary.ts";
import type { FeedPage, FeedService } from "../kit/feed.ts";
import { openSlotsFor, type SearchBackend, type ServiceDoc } from "./search/types.ts";
import { vocabularyCentroid } from "./postcodes.ts";
import { CLAIMS_HEADER, DEV_INTERNAL_SECRET, SYNC_CLAIMS, signClaims } from "../../platform/claims.ts";

export interface PartnerSyncStatus {
  partner: PartnerId;
  reachable: boolean;
  lastSyncAt: Date | null;
  lastError: string | null;
  cursor: number;
}

export interface SyncOptions {
  backend: SearchBackend;
  /** GraphQL URLs of the partners; the feed is at /changes beside them. */
  partnerUrls: Record<PartnerId, string>;
  intervalMs: number;
  pageSize?: number;
  timeoutMs?: number;
  onProgress?: (partner: PartnerId, done: number) => void;
  /**
   * Makes an empty backend of the same kind. With it, a reindex builds a fresh index beside the
   * live one and swaps it in when complete, so search keeps answering throughout.
   */
  createBackend?: () => Promise<SearchBackend>;
  /** Secret to sign the directory's service token for partner change feeds. */
  internalSecret?: string;
}

export interface ReindexProgress {
  state: "idle" | "running" | "done" | "failed";
  done: number;
  total: number;
  error: string | null;
}

export function toServiceDoc(s: FeedService, partner: PartnerId): ServiceDoc {
  const located = s.locations.find((l) => l.latitude !== null && l.longitude !== null);
  // A confidential place is indexed at its postcode district's centre, never its real position,
  // so distance search cannot be used to triangulate a refuge.
  const coarse = s.locations.find((l) => l.confidential && l.postcode);
  const coarseCentre = coarse?.postcode ? vocabularyCentroid(coarse.postcode) : null;
  const area = s.localAuthorities.map(localAuthorityInfo).find(Boolean);
  const location = located
    ? { lat: located.latitude!, lng: located.longitude! }
    : coarseCentre ?? (s.locations.length && area ? { lat: area.lat, lng: area.lng } : null);
  return {
    id: s.id,
    partner,
    name: s.name,
    description: s.description,
    organizationName: s.organizationName,
    status: s.status,
    needs: s.needs,
    referralRoutes: s.referralRoutes,
    languages: s.languages,
    deliveryModes: s.deliveryModes,
    localAuthorities: s.localAuthorities,
    ageBands: ageBandsFor(s.minimumAge, s.maximumAge),
    minAge: s.minimumAge ?? 0,
    maxAge: s.maximumAge ?? 25,
    free: s.free,
    acceptingReferrals: s.acceptingReferrals,
    typicalWaitWeeks: s.typicalWaitWeeks,
    contractEndDate: s.contractEndDate,
    openSlots: openSlotsFor(s.schedules.map((x) => ({ byday: x.byDay.join(","), opensAt: x.opensAt, closesAt: x.closesAt }))),
    location,
    postcodes: s.locations.filter((l) => !l.confidential && l.postcode).map((l) => l.postcode!),
    lastModified: s.lastModified,
    stale: false,
  };
}

export class DirectorySync {
  readonly status = new Map<PartnerId, PartnerSyncStatus>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly postcodes = new Map<string, { postcode: string; lat: number; lng: number }>();
  /** The live index; replaced wholesale by reindex(). */
  backend: SearchBackend;
  reindexProgress: ReindexProgress = { state: "idle", done: 0, total: 0, error: null };

  constructor(private readonly opts: SyncOptions) {
    this.backend = opts.backend;
    for (const partner of PARTNERS) {
      this.status.set(partner, { partner, reachable: false, lastSyncAt: null, lastError: "not synced yet", cursor: 0 });
    }
  }

  /** One pass over every partner; concurrent callers share the pass in progress. */
  syncOnce(): Promise<void> {
    this.running ??= Promise.all(PARTNERS.map((p) => this.syncPartner(p))).then(
      () => {
        this.running = null;
      },
      (err) => {
        this.running = null;
        throw err;
      },
    );
    return this.running;
  }

  start(): void {
    const loop = async () => {
      await this.syncOnce().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
    };
    this.stopped = false;
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Public location postcodes seen in the feeds, for outward-code centroids. */
  *knownPostcodes(): Iterable<{ postcode: string; lat: number; lng: number }> {
    yield* this.postcodes.values();
  }

  isStale(partner: string): boolean {
    const s = this.status.get(partner as PartnerId);
    return !!s && !s.reachable && s.lastSyncAt !== null;
  }

  /**
   * Rebuilds the index from every partner's full change feed. A partner that cannot be reached
   * fails the reindex and leaves the live index untouched (when a fresh backend can be made).
   */
  async reindex(onProgress?: (p: ReindexProgress) => void): Promise<ReindexProgress> {
    if (this.reindexProgress.state === "running") return this.reindexProgress;
    const progress: ReindexProgress = { state: "running", done: 0, total: 0, error: null };
    this.reindexProgress = progress;
    await this.running?.catch(() => undefined);
    const fresh = this.opts.createBackend ? await this.opts.createBackend() : null;
    const target = fresh ?? this.backend;
    try {
      if (!fresh) await target.clear();
      const cursors = new Map<PartnerId, number>();
      for (const partner of PARTNERS) {
        const scratch: PartnerSyncStatus = { partner, reachable: false, lastSyncAt: null, lastError: null, cursor: 0 };
        let before = 0;
        await this.syncPartner(partner, target, scratch, (done, remaining) => {
          progress.done += done - before;
          before = done;
          progress.total = Math.max(progress.total, progress.done + remaining);
          onProgress?.(progress);
        });
        if (!scratch.reachable) throw new Error(`${partner}: ${scratch.lastError}`);
        cursors.set(partner, scratch.cursor);
      }
      if (fresh) {
        const old = this.backend;
        this.backend = fresh;
        await old.close();
      }
      for (const [partner, cursor] of cursors) Object.assign(this.status.get(partner)!, { cursor, reachable: true, lastError: null, lastSyncAt: new Date() });
      progress.state = "done";
    } catch (err) {
      progress.state = "failed";
      progress.error = err instanceof Error ? err.message : String(err);
      if (fresh) await fresh.close();
    }
    onProgress?.(progress);
    return progress;
  }

  private async syncPartner(
    partner: PartnerId,
    target: SearchBackend = this.backend,
    status: PartnerSyncStatus = this.status.get(partner)!,
    onPage?: (done: number, remaining: number) => void,
  ): Promise<void> {
    const feedUrl = new URL("/changes", this.opts.partnerUrls[partner]);
    let done = 0;
    try {
      // One service token per pass; long enough for a full 100k-service pass (about 15 s).
      const token = await signClaims(SYNC_CLAIMS, this.opts.internalSecret ?? DEV_INTERNAL_SECRET, 300);
      for (;;) {
        feedUrl.searchParams.set("since", String(status.cursor));
        feedUrl.searchParams.set("limit", String(this.opts.pageSize ?? 2000));
        if (onPage) feedUrl.searchParams.set("count", "1");
        const res = await fetch(feedUrl, {
          headers: { [CLAIMS_HEADER]: token },
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        });
        if (!res.ok) throw new Error(`change feed answered ${res.status}`);
        const page = (await res.json()) as FeedPage;
        const upserts: ServiceDoc[] = [];
        const removals: string[] = [];
        for (const change of page.changes) {
          if (change.deleted || !change.service) removals.push(change.id);
          else {
            upserts.push(toServiceDoc(change.service, partner));
            for (const l of change.service.locations) {
              if (!l.confidential && l.postcode && l.latitude !== null && l.longitude !== null) {
                this.postcodes.set(l.postcode, { postcode: l.postcode, lat: l.latitude, lng: l.longitude });
              }
            }
          }
        }
        if (removals.length) await target.remove(removals);
        if (upserts.length) await target.upsert(upserts);
        status.cursor = page.cursor;
        done += page.changes.length;
        this.opts.onProgress?.(partner, done);
        onPage?.(done, page.remaining ?? 0);
        if (!page.hasMore) break;
      }
      status.reachable = true;
      status.lastError = null;
      status.lastSyncAt = new Date();
    } catch (err) {
      status.reachable = false;
      status.lastError = err instanceof Error ? err.message : String(err);
    }
  }
}

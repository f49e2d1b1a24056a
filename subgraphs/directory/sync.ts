// Keeps the search index in step with the partners: pulls each partner's change feed from a cursor,
// upserts changed services, removes deleted or closed ones. A partner that is down is skipped and
// retried next round; its last good documents stay searchable and are reported stale.
import type { PartnerId } from "../../schema/vocabulary.ts";
import { PARTNERS, ageBandsFor } from "../../schema/vocabulary.ts";
import { localAuthorityInfo } from "../../schema/areas.ts";
import { FEED_START, type FeedChange, type FeedPage, type FeedService } from "../kit/feed.ts";
import {
  memoryState,
  type Checkpoint,
  type DirectoryState,
  type StoredDoc,
} from "./state/state.ts";
import { openSlotsFor, type SearchBackend, type ServiceDoc } from "./search/types.ts";
import { outwardCentroid } from "./postcodes.ts";
import { taxonomyId } from "../../schema/hsds-ids.ts";
import { outwardCode } from "../kit/service.map.ts";
import { ChangeLog } from "./invalidations.ts";
import { CLAIMS_HEADER, SYNC_CLAIMS, signClaims } from "../../platform/claims.ts";

export interface PartnerSyncStatus {
  partner: PartnerId;
  /** The partner answered the last sync or liveness check. */
  reachable: boolean;
  lastSyncAt: Date | null;
  /** Raw cause of the last failure: for operators only (it names hosts). */
  lastError: string | null;
  /**
   * Why the partner could not be read, as a code safe to publish: UNAUTHORIZED (its feed refuses
   * the directory's signed token: a different INTERNAL_SECRET), TIMEOUT, UNREACHABLE, HTTP_ERROR,
   * BAD_RESPONSE, INDEX_ERROR (the search index refused the update), NOT_SYNCED.
   */
  reason: string | null;
  /** Change-feed cursor ("0" before the first page). */
  cursor: string;
  lastReconciledAt: Date | null;
  /** performance.now() of the last answer from the partner (sync or liveness check). */
  lastContact: number;
}

/** A change feed that could not be read, with a reason code (see PartnerSyncStatus.reason). */
export class FeedError extends Error {
  override name = "FeedError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function feedFailure(err: unknown): { reason: string; message: string } {
  if (err instanceof FeedError) return { reason: err.reason, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  const name = (err as { name?: string })?.name;
  if (name === "TimeoutError" || name === "AbortError") return { reason: "TIMEOUT", message };
  if (err instanceof TypeError && /fetch failed/.test(message)) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { reason: "UNREACHABLE", message: cause?.message ?? message };
  }
  return { reason: "INDEX_ERROR", message };
}

function refusal(res: Response, what: string): FeedError {
  const reason = res.status === 401 || res.status === 403 ? "UNAUTHORIZED" : "HTTP_ERROR";
  return new FeedError(reason, `${what} answered ${res.status}`);
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
  /** Secret to sign the directory's service token for partner change feeds (INTERNAL_SECRET); no default. */
  internalSecret: string;
  /** Where checkpoints and the directory's copy of each service are kept; in memory by default. */
  state?: DirectoryState;
  /** How often to compare each partner's inventory with the index and repair drift. Default 5 min. */
  reconcileIntervalMs?: number;
}

export interface ReindexProgress {
  state: "idle" | "running" | "done" | "failed";
  done: number;
  total: number;
  error: string | null;
}

export interface ReconcileReport {
  partner: PartnerId;
  /** Services whose stored change number differed from the partner's (or were missing): re-fetched. */
  refetched: number;
  /** Services the directory held that the partner no longer lists: removed. */
  removed: number;
  /** Services the directory's copy held but the index had lost: put back. */
  restored: number;
  error: string | null;
}

/** How long an answer from a partner counts as proof that it is up. */
const LIVENESS_WINDOW_MS = 1000;
const LIVENESS_TIMEOUT_MS = 500;

export function toServiceDoc(s: FeedService, partner: PartnerId): ServiceDoc {
  const located = s.locations.find((l) => l.latitude !== null && l.longitude !== null);
  // A confidential place is indexed at its postcode district's centre, never its real position,
  // so distance search cannot be used to triangulate a refuge.
  const coarse = s.locations.find((l) => l.confidential && l.postcode);
  const coarseCentre = coarse?.postcode ? outwardCentroid(coarse.postcode) : null;
  const area = s.localAuthorities.map(localAuthorityInfo).find(Boolean);
  const location = located
    ? { lat: located.latitude!, lng: located.longitude! }
    : (coarseCentre ?? (s.locations.length && area ? { lat: area.lat, lng: area.lng } : null));
  return {
    id: s.id,
    partner,
    name: s.name,
    description: s.description,
    organizationName: s.organizationName,
    status: s.status,
    alert: s.alert ?? null,
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
    openSlots: openSlotsFor(
      s.schedules.map((x) => ({
        byday: x.byDay.join(","),
        opensAt: x.opensAt,
        closesAt: x.closesAt,
      })),
    ),
    location,
    postcodes: s.locations.filter((l) => !l.confidential && l.postcode).map((l) => l.postcode!),
    lastModified: s.lastModified,
    organizationId: s.organizationId,
    maxAgeStated: s.maximumAge !== null,
    // Feeds from before taxonomy terms were listed give none.
    taxonomyTerms: (s.taxonomyTerms ?? []).map((t) => t.id),
    // By name, and by the id the ORUK API gives the vocabulary (its taxonomy_id parameter).
    taxonomies: [
      ...new Set(
        (s.taxonomyTerms ?? []).flatMap((t) =>
          t.vocabulary ? [t.vocabulary, taxonomyId(t.vocabulary)] : [],
        ),
      ),
    ],
    schedules: s.schedules,
    locationIds: s.locations.map((l) => l.id),
    stale: false,
    card: {
      organizationId: s.organizationId,
      minimumAge: s.minimumAge,
      maximumAge: s.maximumAge,
      funder: s.funder,
      capacityUpdatedAt: s.capacityUpdatedAt,
      locations: s.locations.map((l) => ({
        id: l.id,
        name: l.name,
        locationType: l.locationType,
        confidential: l.confidential,
        // As the partner words it (service.map.ts toLocation): town and postcode district.
        area: [l.city, outwardCode(l.postcode)].filter(Boolean).join(", ") || null,
      })),
    },
  };
}

export class DirectorySync {
  readonly status = new Map<PartnerId, PartnerSyncStatus>();
  /** Until a partner's first sync, its lag counts from here. */
  readonly startedAt = new Date();
  readonly state: DirectoryState;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private probes = new Map<PartnerId, Promise<void>>();
  private stopped = false;
  private lastReconcile = performance.now();
  private readonly postcodes = new Map<string, { postcode: string; lat: number; lng: number }>();
  /** The live index; replaced wholesale by reindex(). */
  backend: SearchBackend;
  reindexProgress: ReindexProgress = { state: "idle", done: 0, total: 0, error: null };
  /** What changed in the live index, for caches in front of the directory (GET /invalidations). */
  readonly changes = new ChangeLog();
  lastReconcileReports: ReconcileReport[] = [];
  private markSynced!: () => void;
  /** Settles once every partner's feed has been read to its end at least once (in this run or a restored one). */
  readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));

  constructor(private readonly opts: SyncOptions) {
    if (!opts.internalSecret)
      throw new Error("DirectorySync needs internalSecret (INTERNAL_SECRET)");
    this.backend = opts.backend;
    this.state = opts.state ?? memoryState();
    for (const partner of PARTNERS) {
      this.status.set(partner, {
        partner,
        reachable: false,
        lastSyncAt: null,
        lastError: "not synced yet",
        reason: "NOT_SYNCED",
        cursor: FEED_START,
        lastReconciledAt: null,
        lastContact: -Infinity,
      });
    }
  }

  /**
   * Picks up where the last run stopped: cursors and last-sync times from the state store, and, for
   * an in-process index, the index itself rebuilt from the stored copies (no partner is asked). A
   * Meilisearch index persists by itself; it is only checked against the copies.
   */
  async restore(): Promise<{ docs: number }> {
    for (const c of await this.state.checkpoints()) {
      const s = this.status.get(c.partner);
      if (!s) continue;
      Object.assign(s, {
        cursor: c.cursor,
        lastSyncAt: c.lastSyncAt,
        lastError: c.lastError ?? "not reached since restart",
        lastReconciledAt: c.lastReconciledAt,
      });
    }
    this.checkSynced();
    const stored = await this.state.count();
    if (!stored) return { docs: 0 };
    // Copies kept from the last run are checked against every partner on the first pass, not
    // reconcileIntervalMs later: a partner's database may have been restored from a backup,
    // reset, or replaced since (changes its feed will never report), and until then search
    // would show services the partner no longer holds, which it answers as null.
    this.lastReconcile = -Infinity;
    // A Meilisearch index persists by itself (only its count is checked); an in-process one is
    // rebuilt from the copies.
    const meili = this.backend.name === "meilisearch";
    if (meili && (await this.backend.count()) !== stored)
      for (const p of PARTNERS) await this.reconcileIndex(p);
    const legacy = new Set<PartnerId>();
    for await (const docs of this.state.allDocs()) {
      if (!meili) {
        await this.backend.upsert(docs);
        this.rememberPostcodes(docs);
      }
      for (const d of docs)
        if (!d.card || d.schedules === undefined) legacy.add(d.partner as PartnerId);
    }
    // Copies stored before the directory kept service cards (or the fields the ORUK filters read:
    // sessions, taxonomy terms): read that partner's feed from the start once, so every copy, and
    // every document of whichever index, is whole again (until then they hold what can be derived).
    for (const partner of legacy) {
      const s = this.status.get(partner);
      if (s) s.cursor = FEED_START;
    }
    return { docs: stored };
  }

  private checkSynced() {
    if (PARTNERS.every((p) => this.status.get(p)!.lastSyncAt !== null)) this.markSynced();
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
      const every = this.opts.reconcileIntervalMs ?? 300_000;
      if (!this.stopped && performance.now() - this.lastReconcile >= every) {
        await this.reconcile().catch(() => undefined);
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
    };
    this.stopped = false;
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.changes.close();
    await this.running?.catch(() => undefined);
  }

  /**
   * A partner going down or coming back changes what a cached answer would show (`stale` flags,
   * partner errors): recorded as a change to everything. Scratch statuses (reindex) are not.
   */
  private setReachable(s: PartnerSyncStatus, value: boolean) {
    if (s.reachable !== value && this.status.get(s.partner) === s) this.changes.record(null);
    s.reachable = value;
  }

  /** Public location postcodes seen in the feeds, for outward-code centroids. */
  *knownPostcodes(): Iterable<{ postcode: string; lat: number; lng: number }> {
    yield* this.postcodes.values();
  }

  /** The partner cannot be reached now, but the directory holds entries from an earlier sync. */
  isStale(partner: string): boolean {
    const s = this.status.get(partner as PartnerId);
    return !!s && !s.reachable && s.lastSyncAt !== null;
  }

  /** The partner cannot be reached now (whether or not it was ever synced). */
  isOffline(partner: string): boolean {
    const s = this.status.get(partner as PartnerId);
    return !!s && !s.reachable;
  }

  /**
   * Makes `reachable` true to the moment: a partner not heard from within the last second is asked
   * (GET /health, 500 ms), so a request learns that a partner went down without waiting for the
   * next sync. Concurrent callers share one check per partner.
   */
  async checkLiveness(): Promise<void> {
    const now = performance.now();
    await Promise.all(
      PARTNERS.map((partner) => {
        const s = this.status.get(partner)!;
        if (now - s.lastContact < LIVENESS_WINDOW_MS) return undefined;
        let probe = this.probes.get(partner);
        if (!probe) {
          probe = this.probe(s).finally(() => this.probes.delete(partner));
          this.probes.set(partner, probe);
        }
        return probe;
      }),
    );
  }

  private async probe(s: PartnerSyncStatus): Promise<void> {
    try {
      const res = await fetch(new URL("/health", this.opts.partnerUrls[s.partner]), {
        signal: AbortSignal.timeout(LIVENESS_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw refusal(res, "health check");
      s.lastContact = performance.now();
      // Back up: the next sync catches up; until then its entries are what the last sync saw. A
      // partner whose feed refuses the directory is not back because its /health answers.
      if (!s.reachable && s.lastSyncAt !== null && s.reason !== "UNAUTHORIZED") {
        this.setReachable(s, true);
        s.reason = null;
      }
    } catch (err) {
      const failure = feedFailure(err);
      this.setReachable(s, false);
      s.lastError = failure.message;
      s.reason = failure.reason;
    }
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
      const rebuilt = new Map<
        PartnerId,
        { status: PartnerSyncStatus; docs: Map<string, StoredDoc> }
      >();
      for (const partner of PARTNERS) {
        const scratch: PartnerSyncStatus = {
          ...this.status.get(partner)!,
          reachable: false,
          lastError: null,
          reason: null,
          cursor: FEED_START,
        };
        const docs = new Map<string, StoredDoc>();
        let before = 0;
        await this.syncPartner(
          partner,
          target,
          scratch,
          (done, remaining) => {
            progress.done += done - before;
            before = done;
            progress.total = Math.max(progress.total, progress.done + remaining);
            onProgress?.(progress);
          },
          docs,
        );
        if (!scratch.reachable) throw new Error(`${partner}: ${scratch.lastError}`);
        rebuilt.set(partner, { status: scratch, docs });
      }
      if (fresh) {
        const old = this.backend;
        this.backend = fresh;
        this.changes.record(null);
        await old.close();
      }
      for (const [partner, { status, docs }] of rebuilt) {
        const live = this.status.get(partner)!;
        Object.assign(live, {
          cursor: status.cursor,
          reachable: true,
          lastError: null,
          reason: null,
          lastSyncAt: new Date(),
          lastContact: performance.now(),
        });
        await this.state.replacePartner(checkpointOf(live), [...docs.values()]);
      }
      progress.state = "done";
    } catch (err) {
      progress.state = "failed";
      progress.error = err instanceof Error ? err.message : String(err);
      if (fresh) await fresh.close();
    }
    onProgress?.(progress);
    return progress;
  }

  /**
   * Repairs drift between each partner and the index, whatever caused it (a change a feed reader
   * once skipped, a restored partner database, a lost index): compares the partner's inventory of
   * live services and their change numbers with the directory's copies, re-fetches what differs,
   * removes what the partner no longer lists, and puts back what the index lost. Runs every
   * reconcileIntervalMs; a partner that is down is skipped.
   */
  async reconcile(): Promise<ReconcileReport[]> {
    this.lastReconcile = performance.now();
    await this.running?.catch(() => undefined);
    const reports: ReconcileReport[] = [];
    for (const partner of PARTNERS) {
      const report: ReconcileReport = {
        partner,
        refetched: 0,
        removed: 0,
        restored: 0,
        error: null,
      };
      try {
        if (this.status.get(partner)!.reachable)
          Object.assign(report, await this.reconcilePartner(partner));
        report.restored = await this.reconcileIndex(partner);
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
      }
      reports.push(report);
    }
    this.lastReconcileReports = reports;
    return reports;
  }

  private async reconcilePartner(
    partner: PartnerId,
  ): Promise<{ refetched: number; removed: number }> {
    const status = this.status.get(partner)!;
    const token = await this.token(partner);
    const base = this.opts.partnerUrls[partner];
    const res = await fetch(new URL("/changes/inventory", base), {
      headers: { [CLAIMS_HEADER]: token },
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`inventory answered ${res.status}`);
    const inventory = new Map(((await res.json()) as { services: [string, number][] }).services);
    const held = await this.state.seqs(partner);
    const refetch = [...inventory].filter(([id, seq]) => held.get(id) !== seq).map(([id]) => id);
    const gone = [...held.keys()].filter((id) => !inventory.has(id));
    for (let i = 0; i < refetch.length; i += 1000) {
      const ids = refetch.slice(i, i + 1000);
      const page = await fetch(new URL("/changes", base), {
        method: "POST",
        headers: { [CLAIMS_HEADER]: token, "content-type": "application/json" },
        body: JSON.stringify({ ids }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      if (!page.ok) throw new Error(`change feed answered ${page.status}`);
      const { changes } = (await page.json()) as { changes: FeedChange[] };
      await this.applyChanges(partner, this.backend, status, changes);
    }
    if (gone.length) {
      await this.backend.remove(gone);
      this.changes.record(gone);
      await this.state.apply(checkpointOf(status), [], gone);
    }
    status.lastReconciledAt = new Date();
    await this.state.saveCheckpoint(checkpointOf(status));
    return { refetched: refetch.length, removed: gone.length };
  }

  /** Makes the index hold exactly the directory's copies of a partner's services. */
  private async reconcileIndex(partner: PartnerId): Promise<number> {
    const held = await this.state.seqs(partner);
    const indexed = new Set(await this.backend.idsByPartner(partner));
    const missing = [...held.keys()].filter((id) => !indexed.has(id));
    const extra = [...indexed].filter((id) => !held.has(id));
    if (extra.length) await this.backend.remove(extra);
    for (let i = 0; i < missing.length; i += 2000) {
      await this.backend.upsert(await this.state.docs(missing.slice(i, i + 2000)));
    }
    this.changes.record([...extra, ...missing]);
    return missing.length;
  }

  /** A service token for one partner's feed routes, which read no body. */
  private token(partner: PartnerId) {
    return signClaims(SYNC_CLAIMS, this.opts.internalSecret, { audience: partner, body: "" });
  }

  /** Postcode positions from stored copies (a restart has no feed locations to learn them from). */
  private rememberPostcodes(docs: ServiceDoc[]) {
    for (const d of docs) {
      // Only when the one public postcode is certainly where the position came from.
      if (d.postcodes.length === 1 && d.location) {
        this.postcodes.set(d.postcodes[0]!, {
          postcode: d.postcodes[0]!,
          lat: d.location.lat,
          lng: d.location.lng,
        });
      }
    }
  }

  private async applyChanges(
    partner: PartnerId,
    target: SearchBackend,
    status: PartnerSyncStatus,
    changes: FeedChange[],
    collect?: Map<string, StoredDoc>,
  ): Promise<void> {
    const upserts: StoredDoc[] = [];
    const removals: string[] = [];
    for (const change of changes) {
      if (change.deleted || !change.service) removals.push(change.id);
      else {
        upserts.push({ doc: toServiceDoc(change.service, partner), seq: change.seq });
        for (const l of change.service.locations) {
          if (!l.confidential && l.postcode && l.latitude !== null && l.longitude !== null) {
            this.postcodes.set(l.postcode, {
              postcode: l.postcode,
              lat: l.latitude,
              lng: l.longitude,
            });
          }
        }
      }
    }
    if (removals.length) await target.remove(removals);
    if (upserts.length) await target.upsert(upserts.map((u) => u.doc));
    if (target === this.backend)
      this.changes.record([...removals, ...upserts.map((u) => u.doc.id)]);
    if (collect) {
      for (const id of removals) collect.delete(id);
      for (const u of upserts) collect.set(u.doc.id, u);
    } else {
      // The index first, then the copy and cursor: a crash in between re-delivers the page, which
      // is harmless (upserts by id).
      await this.state.apply(checkpointOf(status), upserts, removals);
    }
  }

  private async syncPartner(
    partner: PartnerId,
    target: SearchBackend = this.backend,
    status: PartnerSyncStatus = this.status.get(partner)!,
    onPage?: (done: number, remaining: number) => void,
    collect?: Map<string, StoredDoc>,
  ): Promise<void> {
    const feedUrl = new URL("/changes", this.opts.partnerUrls[partner]);
    let done = 0;
    const wasReachable = status.reachable;
    try {
      for (;;) {
        // A short-lived token per page, addressed to this partner alone.
        const token = await this.token(partner);
        feedUrl.searchParams.set("since", status.cursor);
        feedUrl.searchParams.set("limit", String(this.opts.pageSize ?? 2000));
        if (onPage) feedUrl.searchParams.set("count", "1");
        const res = await fetch(feedUrl, {
          headers: { [CLAIMS_HEADER]: token },
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        });
        if (!res.ok) throw refusal(res, "change feed");
        const page = (await res.json().catch((err) => {
          throw new FeedError("BAD_RESPONSE", `change feed sent no JSON: ${String(err)}`);
        })) as FeedPage;
        const cursorBefore = status.cursor;
        status.cursor = page.cursor;
        try {
          await this.applyChanges(partner, target, status, page.changes, collect);
        } catch (err) {
          status.cursor = cursorBefore;
          throw err;
        }
        done += page.changes.length;
        this.opts.onProgress?.(partner, done);
        onPage?.(done, page.remaining ?? 0);
        if (!page.hasMore) break;
      }
      const firstSync = status.lastSyncAt === null;
      this.setReachable(status, true);
      status.lastError = null;
      status.reason = null;
      status.lastSyncAt = new Date();
      status.lastContact = performance.now();
      if (firstSync) this.checkSynced();
      // "Synced before" must survive a restart; the exact time of every quiet pass need not.
      if (!collect && (firstSync || !wasReachable))
        await this.state.saveCheckpoint(checkpointOf(status));
    } catch (err) {
      const failure = feedFailure(err);
      this.setReachable(status, false);
      status.lastError = failure.message;
      status.reason = failure.reason;
    }
  }
}

function checkpointOf(s: PartnerSyncStatus): Checkpoint {
  return {
    partner: s.partner,
    cursor: s.cursor,
    lastSyncAt: s.lastSyncAt,
    lastError: s.lastError,
    lastReconciledAt: s.lastReconciledAt,
  };
}

// The Meilisearch backend: same contract as the embedded index, for deployments with a server.
// Every write is a Meilisearch task; we wait for each one and turn failed tasks into
// SearchBackendError, so "upsert resolved" means "searchable now".
import {
  Meilisearch,
  type EnqueuedTaskPromise,
  type Index,
  type SearchParams,
  type Settings,
  type Task,
} from "meilisearch";
import {
  MARK_CLOSE,
  MARK_OPEN,
  STOP_WORDS,
  expansionTerms,
  meiliSynonyms,
  sentinelsToHtml,
  stripSentinels,
} from "./analysis.ts";
import { buildMeiliFilter, num, quote } from "./meili-filter.ts";
import {
  LAST,
  dateKey,
  facetRows,
  haversineKm,
  indexedFilterKeys,
  nameSortKey,
  normaliseDoc,
  normaliseRequest,
} from "./request.ts";
import {
  FACET_NAMES,
  MAX_WINDOW,
  SearchBackendError,
  type Facets,
  type SearchBackend,
  type SearchHit,
  type SearchResult,
  type ServiceDoc,
  SERVICE_DOC_KEYS,
} from "./types.ts";

export interface MeiliOptions {
  url: string;
  apiKey?: string;
  /** Index uid, e.g. "services". */
  index: string;
  /** Per HTTP request. Default 10 s. */
  requestTimeoutMs?: number;
  /** Per awaited task. Default 60 s (a large first import is one task per batch). */
  taskTimeoutMs?: number;
  /** Task polling interval. Default 50 ms. */
  pollIntervalMs?: number;
  /** Documents per addDocuments call. Default 1000. */
  batchSize?: number;
}

/** What the index stores: the ServiceDoc plus fields only search needs. */
interface MeiliDoc extends ServiceDoc {
  /** Primary key: the id escaped to Meilisearch's [A-Za-z0-9_-] (ids contain ":"). */
  key: string;
  /** Omitted when the service has no location. */
  _geo?: { lat: number; lng: number };
  cost: "free" | "paid";
  nameSort: string;
  waitSort: number;
  /** typicalWaitWeeks for filters, 0 when not given (no known wait). */
  waitFilter: number;
  contractSort: number;
  /** Has a position (reachableFrom keeps unlocated services). */
  located: boolean;
  /** serviceAtLocationIdsOf(doc). */
  serviceAtLocations: string[];
  /** Date.parse(lastModified); -1 when unreadable (never passes modifiedSince). */
  modifiedMs: number;
  /** maxAge when stated, LAST when not (never passes an ageRangeWithin maximum). */
  maxAgeStatedKey: number;
  /** sessionKeysFor(schedules): the session filter as number ranges (types.ts). */
  sessionKeys: number[];
  locationCount: number;
  /** Need labels and synonyms, acronym expansions (the same hidden text the embedded index uses). */
  terms: string;
}

export const MEILI_SETTINGS: Settings = {
  searchableAttributes: ["name", "organizationName", "description", "terms"],
  filterableAttributes: [
    "id",
    "partner",
    "status",
    "needs",
    "referralRoutes",
    "languages",
    "deliveryModes",
    "localAuthorities",
    "ageBands",
    "minAge",
    "maxAge",
    "cost",
    "acceptingReferrals",
    "openSlots",
    "waitFilter",
    "contractSort",
    "located",
    "organizationId",
    "taxonomyTerms",
    "taxonomies",
    "serviceAtLocations",
    "modifiedMs",
    "maxAgeStatedKey",
    "sessionKeys",
    "locationCount",
    "_geo",
  ],
  sortableAttributes: ["id", "nameSort", "waitSort", "contractSort", "_geo"],
  // "sort" first: an explicit sort (name, wait, distance…) orders the matches; without one,
  // relevance decides.
  rankingRules: ["sort", "words", "typo", "proximity", "attribute", "exactness"],
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 } },
  synonyms: meiliSynonyms(),
  stopWords: [...STOP_WORDS],
  pagination: { maxTotalHits: MAX_WINDOW },
  faceting: { maxValuesPerFacet: 500 },
};

/** Reversible escape of an id into a Meilisearch document id: "council:3f2a" → "council_3A3f2a". */
export function meiliKey(id: string): string {
  let out = "";
  for (const ch of id) {
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else
      for (const b of Buffer.from(ch, "utf8"))
        out += `_${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (Buffer.byteLength(out) > 511)
    throw new SearchBackendError(`id too long for Meilisearch: ${id.slice(0, 40)}…`, "meilisearch");
  return out;
}

export function toMeiliDoc(input: ServiceDoc): MeiliDoc {
  const doc = normaliseDoc(input);
  doc.name = stripSentinels(doc.name);
  doc.description = stripSentinels(doc.description);
  doc.organizationName = stripSentinels(doc.organizationName);
  return {
    ...doc,
    key: meiliKey(doc.id),
    ...(doc.location ? { _geo: doc.location } : {}),
    cost: doc.free ? "free" : "paid",
    nameSort: nameSortKey(doc.name),
    waitSort: doc.typicalWaitWeeks ?? LAST,
    waitFilter: doc.typicalWaitWeeks ?? 0,
    contractSort: dateKey(doc.contractEndDate) ?? LAST,
    located: doc.location !== null,
    ...indexedFilterKeys(doc),
    terms: expansionTerms(doc),
  };
}

function fromMeiliDoc(raw: Record<string, unknown>): ServiceDoc {
  const out: Record<string, unknown> = {};
  for (const k of SERVICE_DOC_KEYS) out[k] = raw[k] ?? null;
  // The card is optional (copies stored before it existed): absent, not null.
  if (out.card === null) delete out.card;
  return out as unknown as ServiceDoc;
}

const emptyFacets = (): Facets =>
  Object.fromEntries(FACET_NAMES.map((n) => [n, []])) as unknown as Facets;

function fail(what: string, err: unknown): never {
  if (err instanceof SearchBackendError) throw err;
  const reason = err instanceof Error ? err.message : String(err);
  throw new SearchBackendError(`Meilisearch ${what} failed: ${reason}`, "meilisearch", {
    cause: err,
  });
}

interface MeiliHit {
  id: string;
  _geo?: { lat: number; lng: number } | null;
  _geoDistance?: number;
  _rankingScore?: number;
  _formatted?: { name?: string; description?: string };
}

export async function createMeiliBackend(opts: MeiliOptions): Promise<SearchBackend> {
  const client = new Meilisearch({
    host: opts.url,
    apiKey: opts.apiKey,
    timeout: opts.requestTimeoutMs ?? 10_000,
    defaultWaitOptions: {
      timeout: opts.taskTimeoutMs ?? 60_000,
      interval: opts.pollIntervalMs ?? 50,
    },
  });
  const index: Index<MeiliDoc> = client.index<MeiliDoc>(opts.index);
  const batchSize = opts.batchSize ?? 1000;
  let closed = false;

  /** Waits for the task and fails unless it succeeded (or failed with an allowed code). */
  async function task(
    what: string,
    enqueued: EnqueuedTaskPromise,
    allowedErrors: string[] = [],
  ): Promise<Task> {
    let t: Task;
    try {
      t = await enqueued.waitTask();
    } catch (err) {
      fail(what, err);
    }
    if (t.status === "succeeded") return t;
    if (t.status === "failed" && t.error && allowedErrors.includes(t.error.code)) return t;
    throw new SearchBackendError(
      `Meilisearch ${what} task ${t.uid} ${t.status}: ${t.error?.message ?? "no reason given"}` +
        (t.error?.code ? ` (${t.error.code})` : ""),
      "meilisearch",
      { cause: t.error ?? undefined },
    );
  }

  const open = () => {
    if (closed) throw new SearchBackendError("search backend is closed", "meilisearch");
  };

  // Create the index (an existing one is fine) and apply settings before anything else.
  await task("index creation", client.createIndex(opts.index, { primaryKey: "key" }), [
    "index_already_exists",
  ]);
  await task("settings update", index.updateSettings(MEILI_SETTINGS));

  async function fetchDocs(
    filter: string,
    fields: string[] | undefined,
    limit: number,
    offset = 0,
  ) {
    try {
      const res = await index.getDocuments({ filter, fields: fields as never, limit, offset });
      return res.results as unknown as Record<string, unknown>[];
    } catch (err) {
      fail("document fetch", err);
    }
  }

  return {
    name: "meilisearch",

    async upsert(docs) {
      open();
      const byKey = new Map<string, MeiliDoc>();
      for (const d of docs) {
        const m = toMeiliDoc(d);
        byKey.set(m.key, m);
      }
      const all = [...byKey.values()];
      // Enqueue every batch, then wait for each: Meilisearch batches consecutive additions itself.
      const pending: EnqueuedTaskPromise[] = [];
      for (let i = 0; i < all.length; i += batchSize) {
        const p = index.addDocuments(all.slice(i, i + batchSize), { primaryKey: "key" });
        // Observed below via waitTask; this only keeps a batch queued after a failed one from
        // surfacing as an unhandled rejection once we have stopped waiting.
        p.catch(() => undefined);
        pending.push(p);
      }
      for (const p of pending) await task("document upsert", p);
    },

    async remove(ids) {
      open();
      if (ids.length === 0) return;
      await task("document removal", index.deleteDocuments(ids.map(meiliKey)));
    },

    async get(ids) {
      open();
      const found = new Map<string, ServiceDoc>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500);
        for (const raw of await fetchDocs(
          `id IN [${chunk.map(quote).join(", ")}]`,
          undefined,
          chunk.length,
        )) {
          found.set(String(raw.id), fromMeiliDoc(raw));
        }
      }
      return ids.map((id) => (found.has(id) ? structuredClone(found.get(id)!) : null));
    },

    async idsByPartner(partner) {
      open();
      const out: string[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await fetchDocs(`partner = ${quote(partner)}`, ["id"], 1000, offset);
        out.push(...page.map((d) => String(d.id)));
        if (page.length < 1000) break;
      }
      return out.sort();
    },

    async search(req): Promise<SearchResult> {
      open();
      const q = normaliseRequest(req);
      const filter = buildMeiliFilter(q);
      if (filter === null)
        return { totalCount: 0, hits: [], facets: q.facets ? emptyFacets() : null };
      const hasText = q.query.tokens.length > 0;
      const params: SearchParams = {
        filter,
        matchingStrategy: "all",
        attributesToRetrieve: ["id", "_geo", "name", "description"],
        showRankingScore: true,
      };
      // page/hitsPerPage makes totalHits exhaustive (offset/limit only gives an estimate).
      let skip = 0;
      if (q.limit > 0 && q.offset % q.limit === 0) {
        params.hitsPerPage = q.limit;
        params.page = q.offset / q.limit + 1;
      } else {
        params.hitsPerPage = q.offset + q.limit;
        params.page = 1;
        skip = q.offset;
      }
      if (q.facets) params.facets = [...FACET_NAMES];
      switch (q.sort) {
        case "NAME":
          params.sort = ["nameSort:asc", "id:asc"];
          break;
        case "WAIT":
          params.sort = ["waitSort:asc", "id:asc"];
          break;
        case "CONTRACT_END":
          params.sort = ["contractSort:asc", "id:asc"];
          break;
        case "DISTANCE":
          params.sort = [`_geoPoint(${num(q.near!.lat)}, ${num(q.near!.lng)}):asc`, "id:asc"];
          break;
        case "RELEVANCE":
          break;
      }
      if (hasText) {
        params.attributesToHighlight = ["name", "description"];
        params.highlightPreTag = MARK_OPEN;
        params.highlightPostTag = MARK_CLOSE;
        params.attributesToCrop = ["description"];
        params.cropLength = 30;
        params.cropMarker = "…";
      }
      let res;
      try {
        // The analysed words, not the raw text: no quotes (phrase syntax) or "-word" (negation).
        res = await index.search<MeiliHit & Record<string, unknown>>(
          q.query.tokens.join(" "),
          params,
        );
      } catch (err) {
        fail("search", err);
      }
      const hits: SearchHit[] = res.hits.slice(skip).map((h) => {
        let distanceKm: number | null = null;
        if (q.near) {
          if (typeof h._geoDistance === "number") distanceKm = h._geoDistance / 1000;
          else if (h._geo)
            distanceKm = haversineKm(
              q.near.lat,
              q.near.lng,
              Number(h._geo.lat),
              Number(h._geo.lng),
            );
          if (distanceKm !== null) distanceKm = Math.round(distanceKm * 1000) / 1000;
        }
        return {
          id: String(h.id),
          distanceKm,
          highlight: hasText ? highlightOf(h) : null,
          score: typeof h._rankingScore === "number" ? h._rankingScore : 0,
        };
      });
      let facets: Facets | null = null;
      if (q.facets) {
        facets = emptyFacets();
        for (const name of FACET_NAMES) {
          facets[name] = facetRows(Object.entries(res.facetDistribution?.[name] ?? {}));
        }
      }
      const paged = res as { totalHits?: number; estimatedTotalHits?: number };
      const totalCount = paged.totalHits ?? paged.estimatedTotalHits ?? hits.length;
      return { totalCount, hits, facets };
    },

    async count() {
      open();
      try {
        return (await index.getStats()).numberOfDocuments;
      } catch (err) {
        fail("stats", err);
      }
    },

    async clear() {
      open();
      await task("clear", index.deleteAllDocuments());
    },

    async close() {
      closed = true;
    },
  };
}

/** Meilisearch's _formatted text, escaped, with its sentinel marks turned into <mark> tags. */
function highlightOf(h: MeiliHit): string {
  const desc = h._formatted?.description ?? "";
  const name = h._formatted?.name ?? "";
  if (desc.includes(MARK_OPEN)) return sentinelsToHtml(desc);
  if (name.includes(MARK_OPEN)) return sentinelsToHtml(name);
  return sentinelsToHtml(desc || name);
}

// A search backend on stock Orama (@orama/orama 3.1): the same contract as the embedded index and
// Meilisearch (contract.ts), selectable instead of the embedded index. Slower than the embedded
// index at 100,000 services (BENCHMARKS.md, "Orama"), which is why that one is the default.
//
// Orama does the work: its radix trees hold the words, its flat/AVL/bool/BKD indexes the filters,
// its `where` (and/or, in, containsAny, containsAll, lte/gte, geo radius) decides which documents
// match, its BM25 (per-property boosts) scores them, its facets count them, its `sortBy` orders
// them and it pages them. Around it, the smallest adapting we found necessary:
//
// 1. Query words are resolved against the indexed vocabulary before Orama sees them (analysis.ts
//    rules, as the embedded index): exact, plural/singular, prefix for the last word, and typos
//    within the Meilisearch budget by Damerau distance with the same first letter. Orama's own
//    `tolerance` is plain Levenshtein (a transposition, "cahms" → "camhs", costs 2), applies one
//    budget to every word whatever its length, and also prefix-matches every word.
// 2. "Every query word must match, in any field" is a `where` clause: for each query word, an `or`
//    of exact-word lookups of its variants over name/organisation/description/terms; the words are
//    ANDed. Orama's `threshold: 0` cannot say this: it requires all words inside ONE property, and
//    counts matched index words (a prefix or typo expanding to three words counts three) rather
//    than query words. `term` (threshold 1) then only scores the documents `where` admitted.
// 3. Ties break by id: `sortBy` is given a comparator, not a property. Orama's property sorter
//    orders strings with localeCompare ("parent - child" before "parent & child"; the contract and
//    the other backends compare code units) and breaks ties by insertion order, not by id.
// 4. Highlights: Orama core has none, so the snippet is made from the matched words with
//    analysis.ts, exactly as the embedded index does (HTML-escaped, <mark>).
// 5. distanceKm is computed with the same haversine as the radius (Orama reports no distance
//    unless the query is geo-only); facet rows are ordered with facetRows.
// 6. Orama's tokenizer is replaced by analysis.ts `tokenize`, so documents, `where` words and
//    `term` words are folded and stop-worded exactly as the other backends do.
// 7. A bug fix: Orama 3.1.18's geo index (BKD tree) drops a node's whole right subtree when it
//    deletes a node with two children, so after one removal a radius search can miss most services.
//    Our geo index keeps emptied nodes instead (they hold no ids, so match nothing) and is rebuilt
//    from the live points once enough have emptied.
// 8. get/remove look an id up in Orama's id map before asking Orama, which would otherwise assign
//    every unknown id it is asked about an internal id for good.
import { TRAVEL_FREE_DELIVERY_MODES } from "../../../schema/vocabulary.ts";
import { inProcessBackend } from "./in-process.ts";
import {
  count as oramaCount,
  create,
  getByID,
  insert,
  remove as oramaRemove,
  search as oramaSearch,
  type Orama,
  type Results,
  type SearchParams,
  type Tokenizer,
} from "@orama/orama";
import {
  damerauWithin,
  expansionTerms,
  highlightText,
  plainSnippet,
  pluralVariants,
  tokenize,
  typoBudget,
} from "./analysis.ts";
import {
  LAST,
  dateKey,
  facetRows,
  haversineKm,
  indexedFilterKeys,
  nameSortKey,
  normaliseDoc,
  normaliseRequest,
  type NormalisedFilter,
} from "./request.ts";
import {
  FACET_NAMES,
  SearchBackendError,
  type BackendName,
  type Facets,
  type SearchBackend,
  type SearchHit,
  type SearchRequest,
  type SearchResult,
  type SearchSort,
  type ServiceDoc,
  SERVICE_DOC_KEYS,
  sessionKeyRanges,
} from "./types.ts";

// types.ts's BackendName does not list "orama" yet (a one-word change there); until it does, the
// name is asserted. Nothing compares a backend's name with anything but "meilisearch".
const NAME = "orama" as string as BackendName;

export const ORAMA_SCHEMA = {
  id: "enum",
  partner: "enum",
  status: "enum",
  needs: "enum[]",
  referralRoutes: "enum[]",
  languages: "enum[]",
  deliveryModes: "enum[]",
  localAuthorities: "enum[]",
  ageBands: "enum[]",
  openSlots: "enum[]",
  cost: "enum",
  free: "boolean",
  acceptingReferrals: "boolean",
  minAge: "number",
  maxAge: "number",
  waitFilter: "number",
  contractKey: "number",
  located: "boolean",
  organizationId: "enum",
  taxonomyTerms: "enum[]",
  taxonomies: "enum[]",
  serviceAtLocations: "enum[]",
  modifiedMs: "number",
  maxAgeStatedKey: "number",
  sessionKeys: "number[]",
  locationCount: "enum",
  locationsKey: "number",
  geo: "geopoint",
  name: "string",
  organizationName: "string",
  description: "string",
  terms: "string",
} as const;
type Schema = typeof ORAMA_SCHEMA;
type OramaDb = Orama<Schema>;

const TEXT_FIELDS = ["name", "organizationName", "description", "terms"] as const;
// The embedded index's field weights, as Orama per-property boosts.
const BOOST = { name: 3, organizationName: 1.5, description: 1, terms: 0.5 } as const;
const PREFIX_EXPANSIONS = 50;
const FACETS = Object.fromEntries(FACET_NAMES.map((n) => [n, {}])) as Record<string, object>;

/** What Orama stores: the ServiceDoc plus fields only search needs. */
interface OramaDoc extends ServiceDoc {
  cost: "free" | "paid";
  /** Omitted when the service has no location. */
  geo?: { lat: number; lon: number };
  /** Need labels and synonyms, acronym expansions (the embedded index's hidden text). */
  terms: string;
  nameSort: string;
  waitSort: number;
  contractSort: number;
  /** typicalWaitWeeks for filters, 0 when not given (no known wait). */
  waitFilter: number;
  /** contractSort under a name the schema indexes. */
  contractKey: number;
  located: boolean;
  /** serviceAtLocationIdsOf(doc). */
  serviceAtLocations: string[];
  /** Date.parse(lastModified); -1 when unreadable (never passes modifiedSince). */
  modifiedMs: number;
  /** maxAge when stated, LAST when not (never passes an ageRangeWithin maximum). */
  maxAgeStatedKey: number;
  /** sessionKeysFor(schedules): the session filter as number ranges (types.ts). */
  sessionKeys: number[];
  /** Number of locations, as the facet's value. */
  locationCount: string;
  /** Number of locations, for minLocations. */
  locationsKey: number;
}

function toOramaDoc(input: ServiceDoc): OramaDoc {
  const doc = normaliseDoc(input);
  const keys = indexedFilterKeys(doc);
  return {
    ...doc,
    cost: doc.free ? "free" : "paid",
    ...(doc.location ? { geo: { lat: doc.location.lat, lon: doc.location.lng } } : {}),
    terms: expansionTerms(doc),
    nameSort: nameSortKey(doc.name),
    waitSort: doc.typicalWaitWeeks ?? LAST,
    contractSort: dateKey(doc.contractEndDate) ?? LAST,
    waitFilter: doc.typicalWaitWeeks ?? 0,
    contractKey: dateKey(doc.contractEndDate) ?? LAST,
    located: doc.location !== null,
    ...keys,
    // Orama facets strings; the number is kept for the minLocations range.
    locationCount: String(keys.locationCount),
    locationsKey: keys.locationCount,
  };
}

function fromOramaDoc(doc: OramaDoc): ServiceDoc {
  const out: Record<string, unknown> = {};
  for (const k of SERVICE_DOC_KEYS) out[k] = doc[k];
  return structuredClone(out) as unknown as ServiceDoc;
}

/** Distinct indexed words of a document (what its text fields hold, after analysis). */
function docWords(doc: OramaDoc): Set<string> {
  const out = new Set<string>();
  for (const f of TEXT_FIELDS) for (const w of tokenize(doc[f])) out.add(w);
  return out;
}

// analysis.ts as Orama's tokenizer: folded words, stop words dropped, each word once (as Orama's
// own tokenizer, which drops duplicates unless told otherwise).
const tokenizer: Tokenizer = {
  language: "english",
  normalizationCache: new Map(),
  tokenize: (raw: string) => (typeof raw === "string" ? [...new Set(tokenize(raw))] : []),
};

/** Orama's calls return a Promise only when async hooks or components are configured; we have none. */
function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new SearchBackendError("Orama went async unexpectedly", NAME);
  return value;
}

/**
 * The indexed vocabulary with document frequencies, kept beside Orama for query-word resolution:
 * a sorted word list for prefix ranges and same-first-letter typo scans (Orama's radix tree would
 * answer those too, but it returns every posting with them, and quadratically).
 */
class Vocabulary {
  private df = new Map<string, number>();
  private sorted: string[] = [];
  private inSorted = new Set<string>();
  private added: string[] = [];
  private stale = 0;
  private fuzzyCache = new Map<string, string[]>();

  add(words: Iterable<string>) {
    for (const w of words) {
      const n = this.df.get(w);
      this.df.set(w, (n ?? 0) + 1);
      if (n === undefined) {
        if (this.inSorted.has(w)) this.stale--;
        else this.added.push(w);
      }
    }
  }

  remove(words: Iterable<string>) {
    for (const w of words) {
      const n = this.df.get(w) ?? 0;
      if (n > 1) this.df.set(w, n - 1);
      else if (n === 1) {
        this.df.delete(w);
        if (this.inSorted.has(w)) this.stale++;
        else {
          const i = this.added.indexOf(w);
          if (i >= 0) this.added.splice(i, 1);
        }
      }
    }
  }

  clear() {
    this.df.clear();
    this.sorted = [];
    this.inSorted.clear();
    this.added = [];
    this.stale = 0;
    this.fuzzyCache.clear();
  }

  has(w: string) {
    return this.df.has(w);
  }

  docFrequency(w: string) {
    return this.df.get(w) ?? 0;
  }

  /** Sorted words; may still hold removed ones (check `has`) until enough pile up. */
  words(): string[] {
    if (this.stale > 1000 && this.stale > this.sorted.length / 4) {
      this.sorted = [...this.df.keys()].sort();
      this.inSorted = new Set(this.sorted);
      this.added = [];
      this.stale = 0;
      this.fuzzyCache.clear();
    }
    if (this.added.length > 0) {
      const added = this.added.sort();
      const old = this.sorted;
      const merged = new Array<string>(old.length + added.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < old.length && j < added.length)
        merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
      while (i < old.length) merged[k++] = old[i++]!;
      while (j < added.length) merged[k++] = added[j++]!;
      for (const w of added) this.inSorted.add(w);
      this.sorted = merged;
      this.added = [];
      this.fuzzyCache.clear();
    }
    return this.sorted;
  }

  lowerBound(key: string): number {
    const words = this.words();
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Words within `budget` Damerau edits sharing the token's first letter (cached per token). */
  fuzzy(token: string, budget: number): string[] {
    const words = this.words();
    let out = this.fuzzyCache.get(token);
    if (!out) {
      out = [];
      const from = this.lowerBound(token[0]!);
      const to = this.lowerBound(String.fromCharCode(token.charCodeAt(0) + 1));
      for (let i = from; i < to; i++) {
        const w = words[i]!;
        if (
          w !== token &&
          Math.abs(w.length - token.length) <= budget &&
          damerauWithin(token, w, budget) <= budget
        )
          out.push(w);
      }
      if (this.fuzzyCache.size > 5000) this.fuzzyCache.clear();
      this.fuzzyCache.set(token, out);
    }
    return out.filter((w) => this.df.has(w));
  }

  /**
   * The indexed words a query word stands for, as the embedded index resolves them: itself,
   * plural/singular forms, words it begins (last query word only; the 50 commonest), and words
   * within its typo budget.
   */
  resolve(token: string, isLast: boolean): Set<string> {
    const out = new Set<string>();
    const offer = (w: string) => {
      if (this.df.has(w)) out.add(w);
    };
    offer(token);
    for (const v of pluralVariants(token)) offer(v);
    if (isLast && token.length >= 2) {
      const words = this.words();
      let candidates: string[] = [];
      for (let i = this.lowerBound(token); i < words.length && words[i]!.startsWith(token); i++) {
        if (this.df.has(words[i]!)) candidates.push(words[i]!);
      }
      if (candidates.length > PREFIX_EXPANSIONS) {
        candidates = candidates
          .sort((a, b) => this.docFrequency(b) - this.docFrequency(a))
          .slice(0, PREFIX_EXPANSIONS);
      }
      candidates.forEach(offer);
    }
    const budget = /\d/.test(token) ? 0 : typoBudget(token);
    if (budget > 0) this.fuzzy(token, budget).forEach(offer);
    return out;
  }
}

type Where = Record<string, unknown>;

/** The request's filters as Orama `where` clauses (ANDed by the caller). */
function filterClauses(f: NormalisedFilter): Where[] {
  const out: Where[] = [];
  if (f.statuses !== null) out.push({ status: { in: f.statuses } });
  if (f.partners !== null) out.push({ partner: { in: f.partners } });
  if (f.localAuthorities !== null)
    out.push({ localAuthorities: { containsAny: f.localAuthorities } });
  if (f.needs !== null)
    out.push({
      needs: f.needsMatch === "ALL" ? { containsAll: f.needs } : { containsAny: f.needs },
    });
  if (f.referralRoutes !== null) out.push({ referralRoutes: { containsAny: f.referralRoutes } });
  if (f.languages !== null) out.push({ languages: { containsAny: f.languages } });
  if (f.deliveryModes !== null) out.push({ deliveryModes: { containsAny: f.deliveryModes } });
  if (f.freeOnly) out.push({ free: true });
  if (f.acceptingReferrals !== null) out.push({ acceptingReferrals: f.acceptingReferrals });
  if (f.openSlot !== null) out.push({ openSlots: { containsAny: [f.openSlot] } });
  if (f.ids !== null) out.push({ id: { in: f.ids } });
  if (f.age !== null) {
    out.push({ minAge: { lte: f.age } });
    out.push({ maxAge: { gte: f.age } });
  }
  if (f.maxWaitWeeks !== null) out.push({ waitFilter: { lte: f.maxWaitWeeks } });
  if (f.organizations !== null) out.push({ organizationId: { in: f.organizations } });
  if (f.taxonomyTerms !== null) out.push({ taxonomyTerms: { containsAny: f.taxonomyTerms } });
  if (f.taxonomies !== null) out.push({ taxonomies: { containsAny: f.taxonomies } });
  if (f.serviceAtLocations !== null)
    out.push({ serviceAtLocations: { containsAny: f.serviceAtLocations } });
  if (f.modifiedSince !== null) out.push({ modifiedMs: { gte: f.modifiedSince } });
  if (f.minAgeAtLeast !== null) out.push({ minAge: { gte: f.minAgeAtLeast } });
  if (f.maxAgeAtMost !== null) out.push({ maxAgeStatedKey: { lte: f.maxAgeAtMost } });
  if (f.minLocations !== null) out.push({ locationsKey: { gte: f.minLocations } });
  if (f.session !== null)
    out.push({
      or: sessionKeyRanges(f.session).map(([lo, hi]) => ({ sessionKeys: { between: [lo, hi] } })),
    });
  // contractKey is LAST for "no end date": it passes a lower bound and fails an upper one.
  if (f.contractFrom !== null) out.push({ contractKey: { gte: f.contractFrom } });
  if (f.contractTo !== null) out.push({ contractKey: { lte: f.contractTo } });
  if (f.reachableFrom !== null) {
    const { lat, lng, radiusKm } = f.reachableFrom;
    out.push({
      or: [
        {
          geo: {
            radius: { coordinates: { lat, lon: lng }, value: radiusKm, unit: "km", inside: true },
          },
        },
        { located: false },
        { deliveryModes: { containsAny: [...TRAVEL_FREE_DELIVERY_MODES] } },
      ],
    });
  }
  return out;
}

type Item = [number, number, OramaDoc];
const byId = (a: Item, b: Item) => (a[2].id < b[2].id ? -1 : a[2].id > b[2].id ? 1 : 0);

/** Orama `sortBy` comparator for a sort, ties broken by id. */
function comparator(
  sort: SearchSort,
  near: { lat: number; lng: number } | null,
): (a: Item, b: Item) => number {
  const numeric = (key: (d: OramaDoc) => number) => (a: Item, b: Item) =>
    key(a[2]) - key(b[2]) || byId(a, b);
  switch (sort) {
    case "RELEVANCE":
      return (a, b) => b[1] - a[1] || byId(a, b);
    case "DISTANCE": {
      const cache = new Map<OramaDoc, number>();
      const dist = (d: OramaDoc) => {
        let v = cache.get(d);
        if (v === undefined) {
          v = d.location ? haversineKm(near!.lat, near!.lng, d.location.lat, d.location.lng) : LAST;
          cache.set(d, v);
        }
        return v;
      };
      return numeric(dist);
    }
    case "WAIT":
      return numeric((d) => d.waitSort);
    case "CONTRACT_END":
      return numeric((d) => d.contractSort);
    case "NAME":
      return (a, b) =>
        a[2].nameSort < b[2].nameSort ? -1 : a[2].nameSort > b[2].nameSort ? 1 : byId(a, b);
  }
}

const emptyFacets = (): Facets =>
  Object.fromEntries(FACET_NAMES.map((n) => [n, []])) as unknown as Facets;

function snippet(doc: ServiceDoc, marks: ReadonlySet<string>): string {
  return (
    highlightText(doc.description, marks) ??
    highlightText(doc.name, marks, true) ??
    plainSnippet(doc.description || doc.name)
  );
}

/** The parts of Orama's BKD tree (trees/bkd.js) the geo workaround touches. */
interface BkdNode {
  point: { lat: number; lon: number };
  docIDs: Set<number>;
}
interface BkdTree {
  nodeMap: Map<string, BkdNode>;
  getPointKey(point: { lat: number; lon: number }): string;
  insert(point: { lat: number; lon: number }, docIDs: number[]): void;
  removeDocByID(point: { lat: number; lon: number }, docID: number): void;
}

/**
 * Orama's BKDTree.deleteNode replaces a deleted node by one child only, losing the other subtree
 * (3.1.18). Removal here only takes the id off its point's node; `compactGeo` rebuilds the tree.
 */
function patchGeoRemoval(tree: BkdTree, onEmptied: () => void) {
  tree.removeDocByID = function (point, docID) {
    const node = this.nodeMap.get(this.getPointKey(point));
    if (node && node.docIDs.delete(docID) && node.docIDs.size === 0) onEmptied();
  };
}

/** The engine, synchronous: one Orama database plus the vocabulary beside it. */
export class OramaIndex {
  private db!: OramaDb;
  private readonly vocab = new Vocabulary();
  /** Geo nodes emptied by removals since the geo index was last rebuilt. */
  private emptiedGeoNodes = 0;

  constructor() {
    this.reset();
  }

  private reset() {
    this.db = create({
      schema: ORAMA_SCHEMA,
      // Sorting is by comparator (see the top of the file); the property sorter would only cost
      // memory and insert time.
      sort: { enabled: false },
      components: { tokenizer },
    });
    this.emptiedGeoNodes = 0;
    patchGeoRemoval(this.geoTree(), () => this.emptiedGeoNodes++);
    this.vocab.clear();
  }

  private geoTree(): BkdTree {
    const index = this.db.data.index as unknown as { indexes: Record<string, { node: unknown }> };
    return index.indexes.geo!.node as BkdTree;
  }

  /** Rebuilds the geo index from its non-empty nodes once emptied ones are a good share of it. */
  private compactGeo() {
    const tree = this.geoTree();
    if (this.emptiedGeoNodes < 1000 || this.emptiedGeoNodes < tree.nodeMap.size / 4) return;
    const live = [...tree.nodeMap.values()].filter((n) => n.docIDs.size > 0);
    const Tree = tree.constructor as new () => BkdTree;
    const fresh = new Tree();
    for (const n of live) fresh.insert(n.point, [...n.docIDs]);
    patchGeoRemoval(fresh, () => this.emptiedGeoNodes++);
    (
      this.db.data.index as unknown as { indexes: Record<string, { node: unknown }> }
    ).indexes.geo!.node = fresh;
    this.emptiedGeoNodes = 0;
  }

  /** The underlying Orama database, for diagnostics and Orama-specific tests. */
  get orama(): OramaDb {
    return this.db;
  }

  get size(): number {
    return oramaCount(this.db);
  }

  private stored(id: string): OramaDoc | undefined {
    // Orama's getByID and remove give any id they are asked about an internal id, for good: a
    // leak when clients or the sync ask about ids that were never indexed.
    if (!this.db.internalDocumentIDStore.idToInternalId.has(id)) return undefined;
    return getByID(this.db, id) as OramaDoc | undefined;
  }

  private removeOne(id: string) {
    const old = this.stored(id);
    if (!old) return;
    sync(oramaRemove(this.db, id));
    this.vocab.remove(docWords(old));
  }

  upsert(input: ServiceDoc[]) {
    const byId = new Map<string, OramaDoc>();
    for (const d of input) {
      const doc = toOramaDoc(d);
      byId.set(doc.id, doc);
    }
    for (const doc of byId.values()) {
      this.removeOne(doc.id);
      sync(insert(this.db, doc as never));
      this.vocab.add(docWords(doc));
    }
    this.compactGeo();
  }

  remove(ids: string[]) {
    for (const id of ids) if (typeof id === "string") this.removeOne(id);
    this.compactGeo();
  }

  get(ids: string[]): (ServiceDoc | null)[] {
    return ids.map((id) => {
      const doc = typeof id === "string" ? this.stored(id) : undefined;
      return doc ? fromOramaDoc(doc) : null;
    });
  }

  idsByPartner(partner: string): string[] {
    const n = this.size;
    if (n === 0 || typeof partner !== "string") return [];
    const res = sync(
      oramaSearch(this.db, { where: { partner: { eq: partner } }, limit: n } as never),
    ) as Results<OramaDoc>;
    return res.hits.map((h) => h.id).sort();
  }

  clear() {
    this.reset();
  }

  search(req: SearchRequest): SearchResult {
    const q = normaliseRequest(req);
    const none = (): SearchResult => ({
      totalCount: 0,
      hits: [],
      facets: q.facets ? emptyFacets() : null,
    });
    if (q.filter.impossible) return none();

    const tokens = q.query.tokens;
    const variants = tokens.map((t, i) => this.vocab.resolve(t, i === tokens.length - 1));
    if (variants.some((v) => v.size === 0)) return none();

    const clauses = filterClauses(q.filter);
    for (const v of variants) {
      const words = [...v];
      clauses.push({ or: TEXT_FIELDS.map((f) => ({ [f]: words })) });
    }
    if (q.near) {
      clauses.push({
        geo: {
          radius: {
            coordinates: { lat: q.near.lat, lon: q.near.lng },
            value: q.near.radiusKm,
            unit: "km",
            inside: true,
          },
        },
      });
    }
    const allWords = new Set<string>();
    for (const v of variants) for (const w of v) allWords.add(w);

    const params = {
      ...(allWords.size > 0
        ? {
            term: [...allWords].join(" "),
            properties: [...TEXT_FIELDS],
            boost: BOOST,
            threshold: 1,
            tolerance: 0,
          }
        : {}),
      ...(clauses.length > 0 ? { where: { and: clauses } } : {}),
      sortBy: comparator(q.sort, q.near),
      limit: q.limit,
      offset: q.offset,
      ...(q.facets ? { facets: FACETS } : {}),
    };
    let res: Results<OramaDoc>;
    try {
      res = sync(
        oramaSearch(this.db, params as unknown as SearchParams<OramaDb>),
      ) as unknown as Results<OramaDoc>;
    } catch (err) {
      if (err instanceof SearchBackendError) throw err;
      throw new SearchBackendError(
        `Orama search failed: ${err instanceof Error ? err.message : String(err)}`,
        NAME,
        { cause: err },
      );
    }

    const marks = new Set<string>([...q.query.highlightWords, ...allWords]);
    const hits: SearchHit[] = res.hits.map((h) => {
      const doc = h.document;
      return {
        id: doc.id,
        distanceKm:
          q.near && doc.location
            ? Math.round(
                haversineKm(q.near.lat, q.near.lng, doc.location.lat, doc.location.lng) * 1000,
              ) / 1000
            : null,
        highlight: tokens.length === 0 ? null : snippet(doc, marks),
        score: tokens.length === 0 ? 0 : h.score,
      };
    });
    let facets: Facets | null = null;
    if (q.facets) {
      facets = emptyFacets();
      for (const name of FACET_NAMES) {
        const values = (res.facets?.[name]?.values ?? {}) as Record<string, number>;
        facets[name] = facetRows(Object.entries(values));
      }
    }
    return { totalCount: res.count, hits, facets };
  }
}

/** The Orama backend. Synchronous inside; async to honour the SearchBackend contract. */
export function createOramaBackend(): SearchBackend {
  return inProcessBackend(NAME, () => new OramaIndex());
}

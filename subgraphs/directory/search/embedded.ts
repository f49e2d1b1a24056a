// The embedded search backend: an in-process index for when no Meilisearch server is configured.
//
// Why not Orama (the first choice, still installed): at 100,000 documents Orama 3.1.18 took
// 30–170 ms for filter-only queries (every `where` materialises and copies Sets of up to 90k ids;
// facets walk every matching document) and 200–1,000 ms for common or typo'd words (prefix and
// exact lookups collect postings with Array.includes, which is quadratic). See bench.ts.
// So this index keeps one bitset per filter value (filters and facet counts are word-wise AND and
// popcount), posting lists for text, and a top-k heap for sorting: queries touch each matching
// document a few times at most.
import { TRAVEL_FREE_DELIVERY_MODES } from "../../../schema/vocabulary.ts";
import { inProcessBackend } from "./in-process.ts";
import {
  damerauWithin,
  expansionFromTokens,
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
  nameSortKey,
  normaliseDoc,
  normaliseRequest,
  type NormalisedFilter,
} from "./request.ts";
import {
  FACET_NAMES,
  type FacetCount,
  type FacetName,
  type Facets,
  type LocalIndex,
  type SearchBackend,
  type SearchHit,
  type SearchRequest,
  type SearchFilter,
  type SearchResult,
  type SearchSort,
  type Selection,
  type ServiceDoc,
  serviceAtLocationIdsOf,
  sessionMatches,
} from "./types.ts";

export interface EmbeddedOptions {
  /** Starting capacity in documents; the index grows as needed. */
  initialCapacity?: number;
}

// How much a word counts by where it appears (BM25F-style weighted term frequency).
const FIELD_WEIGHTS = { name: 3, organizationName: 1.5, description: 1, terms: 0.5 } as const;
// How much a matched word counts by how it matched the query word.
const MATCH = { exact: 1, plural: 0.9, prefix: 0.75, typo1: 0.6, typo2: 0.4 } as const;
const PREFIX_EXPANSIONS = 50;
const BM25_K1 = 1.2;
const BM25_B = 0.75;

type EnumField =
  | "partner"
  | "status"
  | "needs"
  | "referralRoutes"
  | "languages"
  | "deliveryModes"
  | "localAuthorities"
  | "ageBands"
  | "cost"
  | "openSlots"
  | "accepting"
  | "locationCount";

const FACET_FIELD: Record<FacetName, EnumField> = {
  needs: "needs",
  partner: "partner",
  localAuthorities: "localAuthorities",
  ageBands: "ageBands",
  cost: "cost",
  referralRoutes: "referralRoutes",
  languages: "languages",
  deliveryModes: "deliveryModes",
  locationCount: "locationCount",
};

function enumValues(doc: ServiceDoc): [EnumField, string[]][] {
  return [
    ["partner", [doc.partner]],
    ["status", [doc.status]],
    ["needs", doc.needs],
    ["referralRoutes", doc.referralRoutes],
    ["languages", doc.languages],
    ["deliveryModes", doc.deliveryModes],
    ["localAuthorities", doc.localAuthorities],
    ["ageBands", doc.ageBands],
    ["cost", [doc.free ? "free" : "paid"]],
    ["openSlots", doc.openSlots],
    ["accepting", doc.acceptingReferrals ? ["true"] : []],
    ["locationCount", [String(doc.locationIds.length)]],
  ];
}

// Fields with many distinct values (an organization per few services, a service_at_location id
// per location): a bitset per value would cost capacity/8 bytes each, so each value keeps the set
// of its slots instead.
type SparseField = "organization" | "taxonomyTerms" | "taxonomies" | "serviceAtLocations";

function sparseValues(doc: ServiceDoc): [SparseField, string[]][] {
  return [
    ["organization", doc.organizationId ? [doc.organizationId] : []],
    ["taxonomyTerms", doc.taxonomyTerms],
    ["taxonomies", doc.taxonomies],
    ["serviceAtLocations", serviceAtLocationIdsOf(doc)],
  ];
}

/** A word's postings: document slots (ascending) and weighted term frequencies. */
interface Posting {
  n: number;
  slots: Int32Array;
  tfs: Float32Array;
}

function push(p: Posting, slot: number, tf: number) {
  if (p.n === p.slots.length) {
    const slots = new Int32Array(p.n * 2);
    slots.set(p.slots);
    const tfs = new Float32Array(p.n * 2);
    tfs.set(p.tfs);
    p.slots = slots;
    p.tfs = tfs;
  }
  p.slots[p.n] = slot;
  p.tfs[p.n] = tf;
  p.n++;
}

const has = (bits: Uint32Array, slot: number) => (bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
const set = (bits: Uint32Array, slot: number) => void (bits[slot >>> 5]! |= 1 << (slot & 31));
const unset = (bits: Uint32Array, slot: number) => void (bits[slot >>> 5]! &= ~(1 << (slot & 31)));

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Calls fn(slot) for every set bit among the first `words` words. */
function eachSet(bits: Uint32Array, words: number, fn: (slot: number) => void) {
  for (let w = 0; w < words; w++) {
    let x = bits[w]!;
    while (x !== 0) {
      const low = x & -x;
      fn((w << 5) + (31 - Math.clz32(low)));
      x ^= low;
    }
  }
}

/** Freezes a plain-data value and everything in it. */
function freezeDoc<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freezeDoc(v);
    Object.freeze(value);
  }
  return value;
}

/** A fresh, mutable copy of a plain-data value (what structuredClone gives, without its cost). */
function copyDoc<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyDoc) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copyDoc(v);
  return out as T;
}

/** The engine, synchronous. createEmbeddedBackend wraps it in the async SearchBackend contract. */
export class EmbeddedIndex implements LocalIndex {
  private capacity = 0;
  private nextSlot = 0;
  private live = 0;
  private dead = 0;
  private docs: (ServiceDoc | undefined)[] = [];
  private ids: string[] = [];
  private nameKeys: string[] = [];
  private idToSlot = new Map<string, number>();
  private enums = new Map<EnumField, Map<string, Uint32Array>>();
  private sparse = new Map<SparseField, Map<string, Set<number>>>();
  private alive = new Uint32Array(0);
  private hasLocation = new Uint32Array(0);
  private minAge = new Float64Array(0);
  private maxAge = new Float64Array(0);
  private modified = new Float64Array(0);
  private lat = new Float64Array(0);
  private lng = new Float64Array(0);
  private waitKey = new Float64Array(0);
  private contractKey = new Float64Array(0);
  private docLen = new Float32Array(0);
  private totalLen = 0;
  private postings = new Map<string, Posting>();
  // Sorted index words for prefix and typo lookups; words added since are merged in on next use.
  private sortedVocab: string[] = [];
  private newWords: string[] = [];
  private fuzzyCache = new Map<string, string[]>();
  // Per-query scratch, reused (search is synchronous, so no two queries share them at once).
  private score = new Float64Array(0);
  private best = new Float64Array(0);
  private dist = new Float64Array(0);
  private scratch = new Uint32Array(0);
  // Live slots in id order as of the last ranks() call, each slot's place in it, and the first
  // slot added since (see ranks()).
  private sortedSlots = new Int32Array(0);
  private idRank = new Int32Array(0);
  private rankedUpTo = 0;
  // Bumped by every write: a Selection from before it no longer describes the index.
  private version = 0;

  constructor(private readonly initialCapacity = 1024) {
    this.reset();
  }

  private reset() {
    this.version++;
    this.sortedSlots = new Int32Array(0);
    this.idRank = new Int32Array(0);
    this.rankedUpTo = 0;
    this.capacity = 0;
    this.nextSlot = 0;
    this.live = 0;
    this.dead = 0;
    this.docs = [];
    this.ids = [];
    this.nameKeys = [];
    this.idToSlot = new Map();
    this.enums = new Map();
    this.sparse = new Map();
    this.postings = new Map();
    this.totalLen = 0;
    this.sortedVocab = [];
    this.newWords = [];
    this.fuzzyCache.clear();
    this.alive = new Uint32Array(0);
    this.hasLocation = new Uint32Array(0);
    this.minAge = new Float64Array(0);
    this.maxAge = new Float64Array(0);
    this.modified = new Float64Array(0);
    this.lat = new Float64Array(0);
    this.lng = new Float64Array(0);
    this.waitKey = new Float64Array(0);
    this.contractKey = new Float64Array(0);
    this.docLen = new Float32Array(0);
    this.grow(Math.max(32, this.initialCapacity));
  }

  private grow(min: number) {
    let cap = Math.max(this.capacity, 32);
    // Capacity is a multiple of 32 so bitsets are whole words.
    while (cap < min) cap *= 2;
    if (cap === this.capacity) return;
    const words = cap >>> 5;
    const bits = (old: Uint32Array) => {
      const b = new Uint32Array(words);
      b.set(old);
      return b;
    };
    const f64 = (old: Float64Array, fill = 0) => {
      const a = new Float64Array(cap).fill(fill);
      a.set(old);
      return a;
    };
    this.alive = bits(this.alive);
    this.hasLocation = bits(this.hasLocation);
    for (const values of this.enums.values()) for (const [k, b] of values) values.set(k, bits(b));
    this.minAge = f64(this.minAge);
    this.maxAge = f64(this.maxAge);
    this.modified = f64(this.modified, NaN);
    this.lat = f64(this.lat, NaN);
    this.lng = f64(this.lng, NaN);
    this.waitKey = f64(this.waitKey);
    this.contractKey = f64(this.contractKey);
    const len = new Float32Array(cap);
    len.set(this.docLen);
    this.docLen = len;
    this.score = new Float64Array(cap);
    this.best = new Float64Array(cap);
    this.dist = new Float64Array(cap);
    this.scratch = new Uint32Array(words);
    const rank = new Int32Array(cap);
    rank.set(this.idRank);
    this.idRank = rank;
    this.capacity = cap;
  }

  private bitsFor(field: EnumField, value: string, create: true): Uint32Array;
  private bitsFor(field: EnumField, value: string, create?: false): Uint32Array | undefined;
  private bitsFor(field: EnumField, value: string, create = false) {
    let values = this.enums.get(field);
    if (!values) {
      if (!create) return undefined;
      values = new Map();
      this.enums.set(field, values);
    }
    let b = values.get(value);
    if (!b && create) {
      b = new Uint32Array(this.capacity >>> 5);
      values.set(value, b);
    }
    return b;
  }

  get size(): number {
    return this.live;
  }

  /** Bookkeeping, for tests and diagnostics. */
  stats() {
    return {
      live: this.live,
      dead: this.dead,
      slots: this.nextSlot,
      capacity: this.capacity,
      words: this.postings.size,
    };
  }

  upsert(input: ServiceDoc[]) {
    this.version++;
    const byId = new Map<string, ServiceDoc>();
    for (const d of input) {
      const doc = normaliseDoc(d);
      byId.set(doc.id, doc);
    }
    for (const doc of byId.values()) {
      const old = this.idToSlot.get(doc.id);
      if (old !== undefined) this.removeSlot(old);
      this.add(doc);
    }
    this.maybeCompact();
  }

  remove(ids: string[]) {
    this.version++;
    for (const id of ids) {
      const slot = this.idToSlot.get(id);
      if (slot !== undefined) this.removeSlot(slot);
    }
    this.maybeCompact();
  }

  get(ids: string[]): (ServiceDoc | null)[] {
    return ids.map((id) => {
      const slot = this.idToSlot.get(id);
      return slot === undefined ? null : copyDoc(this.docs[slot]!);
    });
  }

  idsByPartner(partner: string): string[] {
    const bits = this.bitsFor("partner", partner);
    const out: string[] = [];
    if (bits) eachSet(bits, this.usedWords(), (s) => out.push(this.ids[s]!));
    return out.sort();
  }

  clear() {
    this.reset();
  }

  private usedWords() {
    return (this.nextSlot + 31) >>> 5;
  }

  private add(doc: ServiceDoc) {
    if (this.nextSlot === this.capacity) this.grow(this.capacity * 2);
    const slot = this.nextSlot++;
    // Frozen, so select()/top() can hand out the index's own copy without it being changed.
    this.docs[slot] = freezeDoc(doc);
    this.ids[slot] = doc.id;
    this.nameKeys[slot] = nameSortKey(doc.name);
    this.idToSlot.set(doc.id, slot);
    this.live++;
    set(this.alive, slot);
    for (const [field, values] of enumValues(doc))
      for (const v of values) set(this.bitsFor(field, v, true), slot);
    for (const [field, values] of sparseValues(doc)) {
      let byValue = this.sparse.get(field);
      if (!byValue) this.sparse.set(field, (byValue = new Map()));
      for (const v of values) {
        const slots = byValue.get(v);
        if (slots) slots.add(slot);
        else byValue.set(v, new Set([slot]));
      }
    }
    this.minAge[slot] = doc.minAge;
    this.maxAge[slot] = doc.maxAge;
    this.modified[slot] = Date.parse(doc.lastModified);
    if (doc.location) {
      set(this.hasLocation, slot);
      this.lat[slot] = doc.location.lat;
      this.lng[slot] = doc.location.lng;
    }
    this.waitKey[slot] = doc.typicalWaitWeeks ?? LAST;
    this.contractKey[slot] = dateKey(doc.contractEndDate) ?? LAST;

    const tf = new Map<string, number>();
    let len = 0;
    const index = (tokens: string[], weight: number) => {
      for (const t of tokens) {
        tf.set(t, (tf.get(t) ?? 0) + weight);
        len += weight;
      }
    };
    const name = tokenize(doc.name);
    const org = tokenize(doc.organizationName);
    const description = tokenize(doc.description);
    index(name, FIELD_WEIGHTS.name);
    index(org, FIELD_WEIGHTS.organizationName);
    index(description, FIELD_WEIGHTS.description);
    index(
      tokenize(expansionFromTokens(doc.needs, [...name, ...org, ...description])),
      FIELD_WEIGHTS.terms,
    );
    for (const [word, f] of tf) {
      let p = this.postings.get(word);
      if (!p) {
        p = { n: 0, slots: new Int32Array(4), tfs: new Float32Array(4) };
        this.postings.set(word, p);
        this.newWords.push(word);
      }
      push(p, slot, f);
    }
    this.docLen[slot] = len;
    this.totalLen += len;
  }

  // Removal clears the slot's filter bits; its postings stay until compaction and are ignored
  // because every query ANDs with `alive`. Slots are never reused before compaction.
  private removeSlot(slot: number) {
    const doc = this.docs[slot]!;
    for (const [field, values] of enumValues(doc)) {
      for (const v of values) {
        const b = this.bitsFor(field, v);
        if (b) unset(b, slot);
      }
    }
    for (const [field, values] of sparseValues(doc)) {
      const byValue = this.sparse.get(field);
      for (const v of values) {
        const slots = byValue?.get(v);
        slots?.delete(slot);
        if (slots?.size === 0) byValue!.delete(v);
      }
    }
    unset(this.alive, slot);
    unset(this.hasLocation, slot);
    this.totalLen -= this.docLen[slot]!;
    this.docs[slot] = undefined;
    this.idToSlot.delete(doc.id);
    this.live--;
    this.dead++;
  }

  private maybeCompact() {
    if (this.dead < 1000 || this.dead < this.live / 3) return;
    const docs = this.docs.filter((d): d is ServiceDoc => d !== undefined);
    this.reset();
    this.grow(docs.length + 1);
    for (const d of docs) this.add(d);
  }

  private vocab(): string[] {
    if (this.newWords.length > 0) {
      const added = this.newWords.sort();
      const old = this.sortedVocab;
      if (old.length === 0) {
        this.sortedVocab = added;
      } else {
        // Linear merge: a sync that adds a few words costs O(vocabulary), not a full sort.
        const merged = new Array<string>(old.length + added.length);
        let i = 0;
        let j = 0;
        let k = 0;
        while (i < old.length && j < added.length)
          merged[k++] = old[i]! < added[j]! ? old[i++]! : added[j++]!;
        while (i < old.length) merged[k++] = old[i++]!;
        while (j < added.length) merged[k++] = added[j++]!;
        this.sortedVocab = merged;
      }
      this.newWords = [];
      this.fuzzyCache.clear();
    }
    return this.sortedVocab;
  }

  private lowerBound(words: string[], key: string): number {
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Words within the token's typo budget sharing its first letter (as Meilisearch, which counts a
   * wrong first letter as two typos). Damerau distance, so "cahms" finds "camhs". */
  private fuzzy(token: string, budget: number): string[] {
    const cached = this.fuzzyCache.get(token);
    if (cached) return cached;
    const vocab = this.vocab();
    const first = token[0]!;
    const from = this.lowerBound(vocab, first);
    const to = this.lowerBound(vocab, String.fromCharCode(first.charCodeAt(0) + 1));
    const out: string[] = [];
    for (let i = from; i < to; i++) {
      const w = vocab[i]!;
      if (
        w !== token &&
        Math.abs(w.length - token.length) <= budget &&
        damerauWithin(token, w, budget) <= budget
      ) {
        out.push(w);
      }
    }
    if (this.fuzzyCache.size > 5000) this.fuzzyCache.clear();
    this.fuzzyCache.set(token, out);
    return out;
  }

  /** Index words a query word matches, with how much each match counts. */
  private matchWords(token: string, isLast: boolean): Map<string, number> {
    const out = new Map<string, number>();
    const offer = (w: string, weight: number) => {
      if (this.postings.has(w) && (out.get(w) ?? 0) < weight) out.set(w, weight);
    };
    offer(token, MATCH.exact);
    for (const v of pluralVariants(token)) offer(v, MATCH.plural);
    if (isLast && token.length >= 2) {
      const vocab = this.vocab();
      const candidates: string[] = [];
      for (
        let i = this.lowerBound(vocab, token);
        i < vocab.length && vocab[i]!.startsWith(token);
        i++
      ) {
        candidates.push(vocab[i]!);
      }
      if (candidates.length > PREFIX_EXPANSIONS) {
        candidates.sort((a, b) => this.postings.get(b)!.n - this.postings.get(a)!.n);
        candidates.length = PREFIX_EXPANSIONS;
      }
      for (const w of candidates) offer(w, MATCH.prefix);
    }
    const budget = /\d/.test(token) ? 0 : typoBudget(token);
    if (budget > 0) {
      for (const w of this.fuzzy(token, budget)) {
        offer(w, damerauWithin(token, w, budget) <= 1 ? MATCH.typo1 : MATCH.typo2);
      }
    }
    return out;
  }

  /** The documents passing every condition of `f`, among `within` (default: every live one). */
  private filterBits(f: NormalisedFilter, within: Uint32Array = this.alive): Uint32Array {
    const words = this.usedWords();
    const r = within.slice(0, this.capacity >>> 5);
    if (f.impossible) return r.fill(0);
    // Set filters are word-wise AND (of an OR over the listed values, built in a reused buffer).
    const scratch = this.scratch;
    let empty = false;
    const and = (b: Uint32Array | undefined) => {
      if (empty) return;
      if (!b) {
        r.fill(0);
        empty = true;
        return;
      }
      let seen = 0;
      for (let i = 0; i < words; i++) seen |= r[i]! &= b[i]!;
      if (seen === 0) empty = true;
    };
    const union = (field: EnumField, values: readonly string[]): Uint32Array | undefined => {
      if (values.length === 1) return this.bitsFor(field, values[0]!);
      let found = false;
      for (const v of values) {
        const b = this.bitsFor(field, v);
        if (!b) continue;
        if (!found) scratch.set(b.subarray(0, words));
        else for (let i = 0; i < words; i++) scratch[i]! |= b[i]!;
        found = true;
      }
      return found ? scratch : undefined;
    };
    const any = (field: EnumField, values: string[] | null) => {
      if (values !== null && !empty) and(union(field, values));
    };
    any("status", f.statuses);
    any("partner", f.partners);
    any("localAuthorities", f.localAuthorities);
    if (f.needs !== null) {
      if (f.needsMatch === "ALL") for (const n of f.needs) and(this.bitsFor("needs", n));
      else any("needs", f.needs);
    }
    any("referralRoutes", f.referralRoutes);
    any("languages", f.languages);
    any("deliveryModes", f.deliveryModes);
    if (f.freeOnly) and(this.bitsFor("cost", "free"));
    if (f.acceptingReferrals === true) and(this.bitsFor("accepting", "true"));
    if (f.acceptingReferrals === false) {
      const b = this.bitsFor("accepting", "true");
      if (b) for (let i = 0; i < words; i++) r[i]! &= ~b[i]!;
    }
    if (f.openSlot !== null) and(this.bitsFor("openSlots", f.openSlot));
    const sparseAny = (field: SparseField, values: string[] | null) => {
      if (values === null || empty) return;
      scratch.fill(0, 0, words);
      let found = false;
      const byValue = this.sparse.get(field);
      for (const v of values)
        for (const slot of byValue?.get(v) ?? []) {
          set(scratch, slot);
          found = true;
        }
      and(found ? scratch : undefined);
    };
    sparseAny("organization", f.organizations);
    sparseAny("taxonomyTerms", f.taxonomyTerms);
    sparseAny("taxonomies", f.taxonomies);
    sparseAny("serviceAtLocations", f.serviceAtLocations);
    if (f.ids !== null && !empty) {
      scratch.fill(0, 0, words);
      for (const id of f.ids) {
        const s = this.idToSlot.get(id);
        if (s !== undefined) set(scratch, s);
      }
      and(scratch);
    }
    if (empty) return r;

    // Conditions on numbers, checked together in one pass over what the sets left.
    const age = f.age;
    const maxWait = f.maxWaitWeeks;
    const contract = f.contractFrom !== null || f.contractTo !== null;
    const from = f.contractFrom ?? -Infinity;
    const to = f.contractTo ?? Infinity;
    const openEnded = f.contractTo === null; // no end date counts as "not ended", never as a date
    const reach = f.reachableFrom;
    const { modifiedSince, minAgeAtLeast, maxAgeAtMost, session, minLocations } = f;
    // Conditions read from the document itself (rare, ORUK's): one test per remaining slot.
    const onDoc =
      maxAgeAtMost !== null || session !== null || minLocations !== null
        ? (d: ServiceDoc) =>
            (maxAgeAtMost === null || (d.maxAgeStated && d.maxAge <= maxAgeAtMost)) &&
            (session === null || sessionMatches(d.schedules, session)) &&
            (minLocations === null || d.locationIds.length >= minLocations)
        : null;
    if (
      age === null &&
      maxWait === null &&
      !contract &&
      reach === null &&
      modifiedSince === null &&
      minAgeAtLeast === null &&
      onDoc === null
    )
      return r;
    let travelFree: Uint32Array | undefined;
    let dLat = 0;
    if (reach !== null) {
      travelFree = union("deliveryModes", TRAVEL_FREE_DELIVERY_MODES);
      if (travelFree === scratch) travelFree = scratch.slice(0, words);
      // No place is nearer than its difference in latitude (111.19 km a degree): beyond a slightly
      // looser band the haversine need not be computed. Inside it the exact distance decides.
      dLat = reach.radiusKm / 110.5;
    }
    const { minAge, maxAge, modified, waitKey, contractKey, hasLocation, lat, lng, docs } = this;
    for (let w = 0; w < words; w++) {
      let x = r[w]!;
      if (x === 0) continue;
      let keep = x;
      while (x !== 0) {
        const low = x & -x;
        x ^= low;
        const s = (w << 5) + (31 - Math.clz32(low));
        if (age !== null && (minAge[s]! > age || maxAge[s]! < age)) {
          keep ^= low;
          continue;
        }
        if (
          (modifiedSince !== null && !(modified[s]! >= modifiedSince)) ||
          (minAgeAtLeast !== null && minAge[s]! < minAgeAtLeast) ||
          (onDoc !== null && !onDoc(docs[s]!))
        ) {
          keep ^= low;
          continue;
        }
        if (maxWait !== null) {
          const k = waitKey[s]!;
          if (k !== LAST && k > maxWait) {
            keep ^= low;
            continue;
          }
        }
        if (contract) {
          const k = contractKey[s]!;
          if (k === LAST ? !openEnded : k < from || k > to) {
            keep ^= low;
            continue;
          }
        }
        if (
          reach !== null &&
          (hasLocation[w]! & low) !== 0 &&
          (travelFree === undefined || (travelFree[w]! & low) === 0)
        ) {
          const la = lat[s]!;
          const ln = lng[s]!;
          if (
            Math.abs(la - reach.lat) > dLat ||
            haversineKm(reach.lat, reach.lng, la, ln) > reach.radiusKm
          )
            keep ^= low;
        }
      }
      r[w] = keep;
    }
    return r;
  }

  search(req: SearchRequest): SearchResult {
    const q = normaliseRequest(req);
    const words = this.usedWords();
    const r = this.filterBits(q.filter);

    // Text: every query word must match (exactly, as a plural, as a prefix for the last word, or
    // within its typo budget) somewhere in the name, organisation, description or hidden terms.
    const tokens = q.query.tokens;
    const matched: Map<string, number>[] = tokens.map((t, i) =>
      this.matchWords(t, i === tokens.length - 1),
    );
    for (const m of matched) {
      if (m.size === 0) {
        r.fill(0);
        break;
      }
      const u = new Uint32Array(r.length);
      for (const w of m.keys()) {
        const p = this.postings.get(w)!;
        for (let k = 0; k < p.n; k++) set(u, p.slots[k]!);
      }
      for (let i = 0; i < words; i++) r[i]! &= u[i]!;
    }

    if (q.near) this.keepNear(r, words, q.near);

    let total = 0;
    for (let i = 0; i < words; i++) total += popcount(r[i]!);

    if (tokens.length > 0 && total > 0) this.rank(r, words, matched);

    const facets = q.facets ? this.facets(r, words) : null;
    const page = this.topK(r, words, q.sort, q.offset + q.limit).slice(q.offset);
    const marks = new Set<string>(q.query.highlightWords);
    for (const m of matched) for (const w of m.keys()) marks.add(w);
    const hits: SearchHit[] = page.map((s) => {
      const doc = this.docs[s]!;
      return {
        id: doc.id,
        distanceKm: q.near && doc.location ? Math.round(this.dist[s]! * 1000) / 1000 : null,
        highlight: tokens.length === 0 ? null : snippet(doc, marks),
        score: tokens.length === 0 ? 0 : this.score[s]!,
        doc,
      };
    });
    return { totalCount: total, hits, facets };
  }

  /**
   * The documents a search with this filter finds (statuses default to ACTIVE, as in search()),
   * among `within` when given. A caller that narrows one set of candidates condition by condition
   * (routing) pays for each condition once, on what is left, and nothing is copied.
   */
  select(filter: SearchFilter, within?: Selection): Selection {
    const f = normaliseRequest({ filter, limit: 0, offset: 0 }).filter;
    if (within) this.current(within);
    return { bits: this.filterBits(f, within?.bits), version: this.version };
  }

  /** How many documents a selection holds. */
  count(sel: Selection): number {
    const bits = this.current(sel).bits;
    let total = 0;
    for (let i = 0, words = this.usedWords(); i < words; i++) total += popcount(bits[i]!);
    return total;
  }

  /**
   * The first `limit` documents of a selection in the order search() would give them for the same
   * sort, near and limit (ties by id; `near` keeps only those within its circle). They are the
   * index's own frozen documents, not copies: read them, never change them.
   */
  top(
    sel: Selection,
    sort: SearchSort,
    limit: number,
    near?: { lat: number; lng: number; radiusKm: number },
  ): readonly ServiceDoc[] {
    const q = normaliseRequest({ sort, limit, offset: 0, ...(near ? { near } : {}) });
    const words = this.usedWords();
    let r = this.current(sel).bits;
    if (q.near) {
      r = r.slice();
      this.keepNear(r, words, q.near);
    }
    return this.topK(r, words, q.sort, q.limit).map((s) => this.docs[s]!);
  }

  /** One facet's counts over a selection, as search() reports them with `facets: true`. */
  facetCounts(sel: Selection, facet: FacetName): FacetCount[] {
    return this.facetOf(facet, this.current(sel).bits, this.usedWords());
  }

  private current(sel: Selection): Selection {
    if (sel.version !== this.version) {
      throw new Error("stale Selection: the index changed since it was selected");
    }
    return sel;
  }

  /** Drops from r what lies beyond the circle (or has no location); records each kept distance. */
  private keepNear(
    r: Uint32Array,
    words: number,
    near: { lat: number; lng: number; radiusKm: number },
  ) {
    const { lat, lng, radiusKm } = near;
    const dLat = radiusKm / 110.5;
    // A box a little looser than the haversine sphere (111.19 km per degree); the exact
    // distance check below decides.
    const dLng = (radiusKm * 1.01) / (111.19 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
    const { hasLocation, dist } = this;
    for (let w = 0; w < words; w++) {
      let x = r[w]! & hasLocation[w]!;
      let keep = x;
      while (x !== 0) {
        const low = x & -x;
        x ^= low;
        const s = (w << 5) + (31 - Math.clz32(low));
        const la = this.lat[s]!;
        const ln = this.lng[s]!;
        const d =
          Math.abs(la - lat) > dLat || Math.abs(ln - lng) > dLng
            ? Infinity
            : haversineKm(lat, lng, la, ln);
        if (d > radiusKm) keep ^= low;
        else dist[s] = d;
      }
      r[w] = keep;
    }
  }

  // BM25 over weighted term frequencies; per query word the best-matching variant counts.
  private rank(r: Uint32Array, words: number, matched: Map<string, number>[]) {
    const n = Math.max(1, this.live);
    const avgLen = this.totalLen / n || 1;
    eachSet(r, words, (s) => void (this.score[s] = 0));
    for (const m of matched) {
      eachSet(r, words, (s) => void (this.best[s] = 0));
      for (const [w, weight] of m) {
        const p = this.postings.get(w)!;
        const idf = Math.log(1 + (n - p.n + 0.5) / (p.n + 0.5));
        for (let k = 0; k < p.n; k++) {
          const s = p.slots[k]!;
          if (!has(r, s)) continue;
          const tf = p.tfs[k]!;
          const v =
            weight *
            idf *
            ((tf * (BM25_K1 + 1)) /
              (tf + BM25_K1 * (1 - BM25_B + (BM25_B * this.docLen[s]!) / avgLen)));
          if (v > this.best[s]!) this.best[s] = v;
        }
      }
      eachSet(r, words, (s) => void (this.score[s]! += this.best[s]!));
    }
  }

  private facets(r: Uint32Array, words: number): Facets {
    const out = {} as Facets;
    for (const name of FACET_NAMES) out[name] = this.facetOf(name, r, words);
    return out;
  }

  private facetOf(name: FacetName, r: Uint32Array, words: number): FacetCount[] {
    const counts: [string, number][] = [];
    for (const [value, b] of this.enums.get(FACET_FIELD[name]) ?? []) {
      let c = 0;
      for (let i = 0; i < words; i++) {
        const x = r[i]! & b[i]!;
        if (x !== 0) c += popcount(x);
      }
      counts.push([value, c]);
    }
    return facetRows(counts);
  }

  private comparator(sort: SearchSort): (a: number, b: number) => number {
    const rank = this.ranks();
    const byId = (a: number, b: number) => rank[a]! - rank[b]!;
    const numeric = (key: Float64Array, dir: 1 | -1) => (a: number, b: number) =>
      (key[a]! - key[b]!) * dir || byId(a, b);
    switch (sort) {
      case "RELEVANCE":
        return numeric(this.score, -1);
      case "DISTANCE":
        return numeric(this.dist, 1);
      case "WAIT":
        return numeric(this.waitKey, 1);
      case "CONTRACT_END":
        return numeric(this.contractKey, 1);
      case "NAME": {
        const keys = this.nameKeys;
        return (a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : byId(a, b));
      }
    }
  }

  /**
   * Each live slot's position in id order, so ties break by comparing numbers rather than id
   * strings. Brought up to date on first use after documents were added: the new ids are sorted
   * and merged into the ordered list (removals need nothing: the rest keep their order).
   */
  private ranks(): Int32Array {
    if (this.rankedUpTo === this.nextSlot) return this.idRank;
    const ids = this.ids;
    const byId = (a: number, b: number) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0);
    const added: number[] = [];
    for (let s = this.rankedUpTo; s < this.nextSlot; s++) if (has(this.alive, s)) added.push(s);
    added.sort(byId);
    const old = this.sortedSlots;
    const merged = new Int32Array(old.length + added.length);
    let n = 0;
    let from = 0;
    for (const s of added) {
      // Where s goes among the old ids: binary search, so a few new ids cost a few comparisons.
      let lo = from;
      let hi = old.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ids[old[mid]!]! < ids[s]!) lo = mid + 1;
        else hi = mid;
      }
      for (; from < lo; from++) if (has(this.alive, old[from]!)) merged[n++] = old[from]!;
      merged[n++] = s;
    }
    for (; from < old.length; from++) if (has(this.alive, old[from]!)) merged[n++] = old[from]!;
    this.sortedSlots = merged.subarray(0, n);
    for (let i = 0; i < n; i++) this.idRank[merged[i]!] = i;
    this.rankedUpTo = this.nextSlot;
    return this.idRank;
  }

  /** The numeric key a sort orders by (ascending, or descending for RELEVANCE); none for NAME. */
  private sortKey(sort: SearchSort): Float64Array | null {
    switch (sort) {
      case "RELEVANCE":
        return this.score;
      case "DISTANCE":
        return this.dist;
      case "WAIT":
        return this.waitKey;
      case "CONTRACT_END":
        return this.contractKey;
      case "NAME":
        return null;
    }
  }

  /** The first k slots in sort order, via a bounded max-heap (worst of the best k on top). */
  private topK(r: Uint32Array, words: number, sort: SearchSort, k: number): number[] {
    if (k <= 0) return [];
    const cmp = this.comparator(sort);
    const heap: number[] = [];
    const siftUp = (i: number) => {
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i]!, heap[p]!) <= 0) break;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    };
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const rr = l + 1;
        let m = i;
        if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
        if (rr < heap.length && cmp(heap[rr]!, heap[m]!) > 0) m = rr;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    // Once the heap is full most candidates are no better than its worst: for numeric sorts that
    // is decided on the key alone (and the id on a tie), without a call per candidate.
    const key = this.sortKey(sort);
    const dir = sort === "RELEVANCE" ? -1 : 1;
    const rank = this.ranks();
    for (let w = 0; w < words; w++) {
      let x = r[w]!;
      while (x !== 0) {
        const low = x & -x;
        x ^= low;
        const s = (w << 5) + (31 - Math.clz32(low));
        if (heap.length < k) {
          heap.push(s);
          siftUp(heap.length - 1);
          continue;
        }
        const worst = heap[0]!;
        if (key) {
          const d = (key[s]! - key[worst]!) * dir;
          if (d > 0 || (d === 0 && rank[s]! > rank[worst]!)) continue;
        } else if (cmp(s, worst) >= 0) continue;
        heap[0] = s;
        siftDown(0);
      }
    }
    return heap.sort(cmp);
  }
}

function snippet(doc: ServiceDoc, marks: ReadonlySet<string>): string {
  return (
    highlightText(doc.description, marks) ??
    highlightText(doc.name, marks, true) ??
    plainSnippet(doc.description || doc.name)
  );
}

/** The embedded backend. Synchronous inside; async to honour the SearchBackend contract. */
export function createEmbeddedBackend(options: EmbeddedOptions = {}): SearchBackend {
  return inProcessBackend("embedded", () => new EmbeddedIndex(options.initialCapacity));
}

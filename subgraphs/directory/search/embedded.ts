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
  type FacetName,
  type Facets,
  type SearchBackend,
  type SearchHit,
  type SearchRequest,
  type SearchResult,
  type SearchSort,
  type ServiceDoc,
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
  | "accepting";

const FACET_FIELD: Record<FacetName, EnumField> = {
  needs: "needs",
  partner: "partner",
  localAuthorities: "localAuthorities",
  ageBands: "ageBands",
  cost: "cost",
  referralRoutes: "referralRoutes",
  languages: "languages",
  deliveryModes: "deliveryModes",
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

/** The engine, synchronous. createEmbeddedBackend wraps it in the async SearchBackend contract. */
export class EmbeddedIndex {
  private capacity = 0;
  private nextSlot = 0;
  private live = 0;
  private dead = 0;
  private docs: (ServiceDoc | undefined)[] = [];
  private ids: string[] = [];
  private nameKeys: string[] = [];
  private idToSlot = new Map<string, number>();
  private enums = new Map<EnumField, Map<string, Uint32Array>>();
  private alive = new Uint32Array(0);
  private hasLocation = new Uint32Array(0);
  private minAge = new Float64Array(0);
  private maxAge = new Float64Array(0);
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

  constructor(private readonly initialCapacity = 1024) {
    this.reset();
  }

  private reset() {
    this.capacity = 0;
    this.nextSlot = 0;
    this.live = 0;
    this.dead = 0;
    this.docs = [];
    this.ids = [];
    this.nameKeys = [];
    this.idToSlot = new Map();
    this.enums = new Map();
    this.postings = new Map();
    this.totalLen = 0;
    this.sortedVocab = [];
    this.newWords = [];
    this.fuzzyCache.clear();
    this.alive = new Uint32Array(0);
    this.hasLocation = new Uint32Array(0);
    this.minAge = new Float64Array(0);
    this.maxAge = new Float64Array(0);
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
    for (const id of ids) {
      const slot = this.idToSlot.get(id);
      if (slot !== undefined) this.removeSlot(slot);
    }
    this.maybeCompact();
  }

  get(ids: string[]): (ServiceDoc | null)[] {
    return ids.map((id) => {
      const slot = this.idToSlot.get(id);
      return slot === undefined ? null : structuredClone(this.docs[slot]!);
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
    this.docs[slot] = doc;
    this.ids[slot] = doc.id;
    this.nameKeys[slot] = nameSortKey(doc.name);
    this.idToSlot.set(doc.id, slot);
    this.live++;
    set(this.alive, slot);
    for (const [field, values] of enumValues(doc))
      for (const v of values) set(this.bitsFor(field, v, true), slot);
    this.minAge[slot] = doc.minAge;
    this.maxAge[slot] = doc.maxAge;
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

  private filterBits(f: NormalisedFilter): Uint32Array {
    const words = this.usedWords();
    const r = this.alive.slice(0, this.capacity >>> 5);
    const zero = () => r.fill(0);
    const and = (b: Uint32Array | undefined) => {
      if (!b) return zero();
      for (let i = 0; i < words; i++) r[i]! &= b[i]!;
    };
    const any = (field: EnumField, values: string[] | null) => {
      if (values === null) return;
      const u = new Uint32Array(r.length);
      for (const v of values) {
        const b = this.bitsFor(field, v);
        if (b) for (let i = 0; i < words; i++) u[i]! |= b[i]!;
      }
      and(u);
    };
    if (f.impossible) return zero();
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
    if (f.ids !== null) {
      const u = new Uint32Array(r.length);
      for (const id of f.ids) {
        const s = this.idToSlot.get(id);
        if (s !== undefined) set(u, s);
      }
      and(u);
    }
    if (f.age !== null) {
      const age = f.age;
      eachSet(r, words, (s) => {
        if (this.minAge[s]! > age || this.maxAge[s]! < age) unset(r, s);
      });
    }
    if (f.maxWaitWeeks !== null) {
      const max = f.maxWaitWeeks;
      eachSet(r, words, (s) => {
        const w = this.waitKey[s]!;
        if (w !== LAST && w > max) unset(r, s);
      });
    }
    if (f.contractFrom !== null || f.contractTo !== null) {
      const from = f.contractFrom ?? -Infinity;
      const to = f.contractTo ?? Infinity;
      eachSet(r, words, (s) => {
        const k = this.contractKey[s]!;
        if (k === LAST ? f.contractTo !== null : k < from || k > to) unset(r, s);
      });
    }
    if (f.reachableFrom !== null) {
      const { lat, lng, radiusKm } = f.reachableFrom;
      const travelFree = new Uint32Array(r.length);
      for (const m of TRAVEL_FREE_DELIVERY_MODES) {
        const b = this.bitsFor("deliveryModes", m);
        if (b) for (let i = 0; i < words; i++) travelFree[i]! |= b[i]!;
      }
      eachSet(r, words, (s) => {
        if (!has(this.hasLocation, s) || has(travelFree, s)) return;
        if (haversineKm(lat, lng, this.lat[s]!, this.lng[s]!) > radiusKm) unset(r, s);
      });
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

    if (q.near) {
      const { lat, lng, radiusKm } = q.near;
      const dLat = radiusKm / 110.5;
      // A box a little looser than the haversine sphere (111.19 km per degree); the exact
      // distance check below decides.
      const dLng = (radiusKm * 1.01) / (111.19 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
      eachSet(r, words, (s) => {
        const la = this.lat[s]!;
        const ln = this.lng[s]!;
        if (!has(this.hasLocation, s) || Math.abs(la - lat) > dLat || Math.abs(ln - lng) > dLng)
          return unset(r, s);
        const d = haversineKm(lat, lng, la, ln);
        if (d > radiusKm) return unset(r, s);
        this.dist[s] = d;
      });
    }

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
    for (const name of FACET_NAMES) {
      const counts: [string, number][] = [];
      for (const [value, b] of this.enums.get(FACET_FIELD[name]) ?? []) {
        let c = 0;
        for (let i = 0; i < words; i++) {
          const x = r[i]! & b[i]!;
          if (x !== 0) c += popcount(x);
        }
        counts.push([value, c]);
      }
      out[name] = facetRows(counts);
    }
    return out;
  }

  private comparator(sort: SearchSort): (a: number, b: number) => number {
    const ids = this.ids;
    const byId = (a: number, b: number) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0);
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
    eachSet(r, words, (s) => {
      if (heap.length < k) {
        heap.push(s);
        siftUp(heap.length - 1);
      } else if (cmp(s, heap[0]!) < 0) {
        heap[0] = s;
        siftDown(0);
      }
    });
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

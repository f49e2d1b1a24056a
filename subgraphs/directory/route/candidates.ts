// Where routing gets its services from: every question a plan asks, answered either by an index in
// this process that narrows one candidate set condition by condition (the embedded index: each
// condition is checked once per plan, on what is left, and no document is copied), or by plain
// searches against any backend (Meilisearch, Orama). Both answer exactly the same questions the
// same way: `searchCandidates` is the reference the fast path is tested against.
import type {
  LocalIndex,
  SearchBackend,
  SearchFilter,
  SearchSort,
  Selection,
  ServiceDoc,
} from "../search/types.ts";

export type Circle = { lat: number; lng: number; radiusKm: number };

/** What one plan asks about: the child's needs, where a candidate must be, and the child's conditions. */
export interface RouteQuery {
  /** The child's needs (distinct). */
  needs: string[];
  /** What every candidate for these needs must be, whatever the child: area, age, active, in contract. */
  inArea(needs: string[]): SearchFilter;
  /**
   * The conditions that depend on the child, in the order gaps are explained. Each sets only its
   * own fields (never those inArea sets), so a candidate passes the first i when it passes each.
   */
  conditions: SearchFilter[];
}

export interface Candidates {
  /** Services for any of `needs` in the area passing every condition: the first `limit` by wait. */
  eligible(needs: string[], limit: number): Promise<readonly ServiceDoc[]>;
  /** For one need, counts[i]: services in the area passing the first i conditions (i < conditions). */
  counts(need: string): Promise<number[]>;
  /** Services for the need in the area passing the first i conditions: the first `limit` in `sort` order. */
  passing(
    need: string,
    i: number,
    sort: SearchSort,
    limit: number,
    near?: Circle,
  ): Promise<readonly ServiceDoc[]>;
  /** The languages offered by services for the need in the area passing the first i conditions. */
  languages(need: string, i: number): Promise<string[]>;
  /** Any other question (closed, ended, other ages, beyond the area): the first `limit` in `sort` order. */
  find(
    filter: SearchFilter,
    sort: SearchSort,
    limit: number,
    near?: Circle,
  ): Promise<readonly ServiceDoc[]>;
}

/** The fast path when the backend's index is in this process, else plain searches. */
export function candidatesFor(backend: SearchBackend, query: RouteQuery): Candidates {
  const local = backend.local?.() ?? null;
  return local ? localCandidates(local, query) : searchCandidates(backend, query);
}

/** Every question as one search (and a fetch of the documents found): works on any backend. */
export function searchCandidates(backend: SearchBackend, query: RouteQuery): Candidates {
  const upTo = (needs: string[], i: number): SearchFilter =>
    Object.assign(query.inArea(needs), ...query.conditions.slice(0, i));
  const count = async (filter: SearchFilter) =>
    (await backend.search({ filter, limit: 0, offset: 0 })).totalCount;
  const find = async (filter: SearchFilter, sort: SearchSort, limit: number, near?: Circle) => {
    const res = await backend.search({ filter, sort, limit, offset: 0, ...(near ? { near } : {}) });
    const docs = await backend.get(res.hits.map((h) => h.id));
    return docs.filter((d): d is ServiceDoc => d !== null);
  };
  return {
    eligible: (needs, limit) => find(upTo(needs, query.conditions.length), "WAIT", limit),
    counts: (need) => Promise.all(query.conditions.map((_, i) => count(upTo([need], i)))),
    passing: (need, i, sort, limit, near) => find(upTo([need], i), sort, limit, near),
    languages: async (need, i) =>
      (
        (await backend.search({ filter: upTo([need], i), limit: 0, offset: 0, facets: true }))
          .facets?.languages ?? []
      ).map((f) => f.value),
    find,
  };
}

/**
 * One candidate set per plan: the services meeting any of the child's needs in the area, then the
 * same narrowed by each condition in turn. Per-need questions intersect these with the need's
 * bitset. Everything is computed on first use and kept for the plan.
 */
export function localCandidates(index: LocalIndex, query: RouteQuery): Candidates {
  const levels: Selection[] = [];
  const level = (i: number): Selection => {
    while (levels.length <= i) {
      const k = levels.length;
      // Each condition is applied within the previous level; `statuses: []` so the status
      // default of a search is not applied again (the first level already has it).
      levels.push(
        k === 0
          ? index.select(query.inArea(query.needs))
          : index.select({ ...query.conditions[k - 1]!, statuses: [] }, levels[k - 1]!),
      );
    }
    return levels[i]!;
  };
  const perNeed = new Map<string, Selection>();
  const forNeeds = (needs: string[], i: number): Selection => {
    const key = `${i}:${needs.join(",")}`;
    let sel = perNeed.get(key);
    if (!sel) {
      sel = index.select({ needs, statuses: [] }, level(i));
      perNeed.set(key, sel);
    }
    return sel;
  };
  const all = query.conditions.length;
  return {
    eligible: async (needs, limit) => index.top(forNeeds(needs, all), "WAIT", limit),
    counts: async (need) => query.conditions.map((_, i) => index.count(forNeeds([need], i))),
    passing: async (need, i, sort, limit, near) =>
      index.top(forNeeds([need], i), sort, limit, near),
    languages: async (need, i) =>
      index.facetCounts(forNeeds([need], i), "languages").map((f) => f.value),
    find: async (filter, sort, limit, near) => index.top(index.select(filter), sort, limit, near),
  };
}

// Pulls a whole feed from an ORUK / HSDS 3.0 API the way DfE's directory does: GET /services page
// by page, then GET /services/{id} for each service's full record. Requests are spaced to a polite
// rate and retried on network errors, 429 and 5xx. Everything is read before anything is written,
// so a feed that fails halfway changes nothing.

export class FeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FeedError";
  }
}

export interface PullOptions {
  /** Requests a second at most (default 5). */
  requestsPerSecond?: number;
  /** Attempts per request before giving up (default 5). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  backoffMs?: number;
  /** Page size asked for (default 100); servers may send fewer. */
  perPage?: number;
  /** done/total services fetched (total from the first page's total_items when given). */
  onProgress?: (done: number, total: number) => void;
  fetch?: typeof fetch;
}

export interface PullResult {
  services: unknown[];
  pages: number;
  requests: number;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function pullFeed(base: string, opts: PullOptions = {}): Promise<PullResult> {
  const root = base.replace(/\/+$/, "");
  const gap = 1000 / (opts.requestsPerSecond ?? 5);
  const attempts = opts.attempts ?? 5;
  const backoff = opts.backoffMs ?? 500;
  const perPage = opts.perPage ?? 100;
  const doFetch = opts.fetch ?? fetch;
  let last = 0;
  let requests = 0;

  const get = async (url: string): Promise<unknown> => {
    let problem = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const wait = last + gap - performance.now();
      if (wait > 0) await sleep(wait);
      last = performance.now();
      requests++;
      let res: Response;
      try {
        res = await doFetch(url, {
          headers: { accept: "application/json", "user-agent": "Wayfinder-import (ORUK pull)" },
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        problem = `${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ""}`;
        await sleep(backoff * 2 ** (attempt - 1));
        continue;
      }
      if (res.ok) {
        const text = await res.text();
        try {
          return JSON.parse(text);
        } catch {
          throw new FeedError(`GET ${url}: the response is not JSON (${text.slice(0, 80)})`);
        }
      }
      problem = `HTTP ${res.status} ${res.statusText}`.trim();
      await res.body?.cancel();
      if (res.status !== 429 && res.status < 500) throw new FeedError(`GET ${url}: ${problem}`);
      const retryAfter = Number(res.headers.get("retry-after"));
      await sleep(
        Number.isFinite(retryAfter) && retryAfter > 0
          ? Math.min(retryAfter * 1000, 60_000)
          : backoff * 2 ** (attempt - 1),
      );
    }
    throw new FeedError(`GET ${url}: failed after ${attempts} attempts (last: ${problem})`);
  };

  const ids: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let page = 1;
  let pages = 0;
  for (;;) {
    const url = `${root}/services?page=${page}&per_page=${perPage}`;
    const body = await get(url);
    pages++;
    if (!isObject(body))
      throw new FeedError(`GET ${url}: expected a page of services ({ contents: [...] })`);
    // HSDS 3.0 / ORUK 3 pages hold `contents`; ORUK 1.0 (Spring) pages hold `content`.
    const items = Array.isArray(body.contents)
      ? body.contents
      : Array.isArray(body.content)
        ? body.content
        : undefined;
    if (!items)
      throw new FeedError(`GET ${url}: expected a page of services ({ contents: [...] })`);
    if (page === 1) total = Number(body.total_items ?? body.totalElements ?? 0);
    for (const item of items)
      if (isObject(item) && (typeof item.id === "string" || typeof item.id === "number")) {
        const id = String(item.id);
        if (!seen.has(id)) {
          seen.add(id);
          ids.push(id);
        }
      }
    const totalPages = Number(body.total_pages ?? body.totalPages ?? NaN);
    const lastPage = body.last_page === true || body.last === true;
    if (items.length === 0 || lastPage || (Number.isFinite(totalPages) && page >= totalPages))
      break;
    page++;
  }

  const services: unknown[] = [];
  for (const id of ids) {
    services.push(await get(`${root}/services/${encodeURIComponent(id)}`));
    opts.onProgress?.(services.length, Math.max(total, ids.length));
  }
  return { services, pages, requests };
}

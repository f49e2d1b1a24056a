import http from "node:http";
import type { AddressInfo } from "node:net";
import { Meilisearch } from "meilisearch";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { searchContract } from "./contract.ts";
import { FIXTURE, fixtureDoc } from "./fixture.ts";
import { createMeiliBackend, meiliKey, toMeiliDoc } from "./meilisearch.ts";
import { haversineKm } from "./request.ts";
import { FACET_NAMES, SearchBackendError } from "./types.ts";

interface Recorded {
  method: string;
  path: string;
  query: string;
  body: unknown;
}

interface TaskState {
  uid: number;
  type: string;
  polls: number;
  error: { message: string; code: string; type: string; link: string } | null;
}

/**
 * Just enough of Meilisearch's REST API for the client calls the backend makes. Records every
 * request; tasks report "processing" for `pendingPolls` polls before they finish; a task type in
 * `failures` fails with that error.
 */
async function fakeMeili(
  opts: {
    pendingPolls?: number;
    failures?: Record<string, { code: string; message: string }>;
    search?: (body: Record<string, unknown>) => unknown;
    fetch?: (body: Record<string, unknown>) => Record<string, unknown>[];
  } = {},
) {
  const requests: Recorded[] = [];
  const tasks: TaskState[] = [];
  const enqueue = (type: string, res: http.ServerResponse) => {
    const failure = opts.failures?.[type];
    const task: TaskState = {
      uid: tasks.length,
      type,
      polls: 0,
      error: failure
        ? { ...failure, type: "invalid_request", link: "https://docs.meilisearch.com/errors" }
        : null,
    };
    tasks.push(task);
    send(res, 202, {
      taskUid: task.uid,
      indexUid: "services",
      status: "enqueued",
      type,
      enqueuedAt: new Date().toISOString(),
    });
  };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url!, "http://x");
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({ method: req.method!, path: url.pathname, query: url.search, body });
      const route = `${req.method} ${url.pathname}`;
      const taskPoll = /^GET \/tasks\/(\d+)$/.exec(route);
      if (taskPoll) {
        const t = tasks[Number(taskPoll[1])];
        if (!t) return send(res, 404, { message: "task not found", code: "task_not_found" });
        t.polls++;
        const done = t.polls > (opts.pendingPolls ?? 0);
        const status = !done ? "processing" : t.error ? "failed" : "succeeded";
        requests.at(-1)!.body = { status };
        return send(res, 200, {
          uid: t.uid,
          batchUid: 0,
          indexUid: "services",
          status,
          type: t.type,
          canceledBy: null,
          error: done ? t.error : null,
          duration: "PT0.01S",
          enqueuedAt: "2025-01-01T00:00:00Z",
          startedAt: "2025-01-01T00:00:00Z",
          finishedAt: done ? "2025-01-01T00:00:01Z" : null,
        });
      }
      if (route === "POST /indexes") return enqueue("indexCreation", res);
      if (route === "PATCH /indexes/services/settings") return enqueue("settingsUpdate", res);
      if (route === "POST /indexes/services/documents")
        return enqueue("documentAdditionOrUpdate", res);
      if (route === "POST /indexes/services/documents/delete-batch")
        return enqueue("documentDeletion", res);
      if (route === "DELETE /indexes/services/documents") return enqueue("documentDeletion", res);
      if (route === "GET /indexes/services/stats")
        return send(res, 200, { numberOfDocuments: 42, isIndexing: false, fieldDistribution: {} });
      if (route === "POST /indexes/services/documents/fetch") {
        const results = opts.fetch?.(body) ?? [];
        return send(res, 200, {
          results,
          offset: body.offset ?? 0,
          limit: body.limit ?? 20,
          total: results.length,
        });
      }
      if (route === "POST /indexes/services/search") {
        return send(
          res,
          200,
          opts.search?.(body) ?? {
            hits: [],
            query: body.q,
            processingTimeMs: 1,
            hitsPerPage: body.hitsPerPage,
            page: body.page,
            totalPages: 0,
            totalHits: 0,
          },
        );
      }
      send(res, 404, {
        message: `no route ${route}`,
        code: "not_found",
        type: "invalid_request",
        link: "",
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    tasks,
    /** "METHOD /path" of every request, task polls included. */
    log: () => requests.map((r) => `${r.method} ${r.path}`),
    writes: () => requests.filter((r) => !r.path.startsWith("/tasks")),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Fake = Awaited<ReturnType<typeof fakeMeili>>;
let fakes: Fake[] = [];
async function start(opts: Parameters<typeof fakeMeili>[0] = {}) {
  const fake = await fakeMeili(opts);
  fakes.push(fake);
  const make = () =>
    createMeiliBackend({
      url: fake.url,
      index: "services",
      pollIntervalMs: 1,
      taskTimeoutMs: 2000,
      batchSize: 10,
    });
  return { fake, make };
}
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

describe("Meilisearch backend (fake server)", () => {
  it("creates the index and applies settings, waiting for each task to finish", async () => {
    const { fake, make } = await start({ pendingPolls: 2 });
    await make();
    expect(fake.log()).toEqual([
      "POST /indexes",
      "GET /tasks/0",
      "GET /tasks/0",
      "GET /tasks/0",
      "PATCH /indexes/services/settings",
      "GET /tasks/1",
      "GET /tasks/1",
      "GET /tasks/1",
    ]);
    expect(fake.requests[0]!.body).toEqual({ uid: "services", primaryKey: "key" });
    expect(fake.requests[3]!.body).toEqual({ status: "succeeded" });
    const settings = fake.requests[4]!.body as Record<string, any>;
    expect(settings.filterableAttributes).toEqual(
      expect.arrayContaining([
        "_geo",
        "id",
        "partner",
        "status",
        "needs",
        "localAuthorities",
        "minAge",
        "maxAge",
        "cost",
        "openSlots",
        "acceptingReferrals",
      ]),
    );
    expect(settings.sortableAttributes).toEqual(
      expect.arrayContaining(["_geo", "id", "nameSort", "waitSort", "contractSort"]),
    );
    expect(settings.searchableAttributes).toEqual([
      "name",
      "organizationName",
      "description",
      "terms",
    ]);
    expect(settings.rankingRules[0]).toBe("sort");
    expect(settings.typoTolerance).toEqual({
      enabled: true,
      minWordSizeForTypos: { oneTypo: 5, twoTypos: 9 },
    });
    expect(settings.synonyms.camhs).toContain("child and adolescent mental health");
    expect(settings.synonyms.salt).toContain("speech and language therapy");
    expect(settings.stopWords).toContain("and");
    expect(settings.pagination).toEqual({ maxTotalHits: 10_000 });
  });

  it("accepts an index that already exists", async () => {
    const { fake, make } = await start({
      failures: {
        indexCreation: {
          code: "index_already_exists",
          message: "Index `services` already exists.",
        },
      },
    });
    await make();
    expect(fake.log()).toContain("PATCH /indexes/services/settings");
  });

  it("fails start-up with SearchBackendError when settings cannot be applied", async () => {
    const { make } = await start({
      failures: {
        settingsUpdate: {
          code: "invalid_settings_filterable_attributes",
          message: "bad filterable attributes",
        },
      },
    });
    const err = await make().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchBackendError);
    expect((err as Error).name).toBe("SearchBackendError");
    expect((err as Error).message).toMatch(
      /settings update task 1 failed: bad filterable attributes \(invalid_settings_filterable_attributes\)/,
    );
  });

  it("fails with SearchBackendError when the server cannot be reached", async () => {
    const { fake, make } = await start();
    await fake.close();
    fakes = [];
    await expect(make()).rejects.toBeInstanceOf(SearchBackendError);
  });

  it("turns a failed document task into SearchBackendError", async () => {
    const { make } = await start({
      failures: {
        documentAdditionOrUpdate: {
          code: "invalid_document_geo_field",
          message: "The `_geo` field is invalid.",
        },
      },
    });
    const backend = await make();
    const err = await backend.upsert(FIXTURE).catch((e: unknown) => e); // three batches
    expect(err).toBeInstanceOf(SearchBackendError);
    expect((err as SearchBackendError).backend).toBe("meilisearch");
    expect((err as Error).message).toContain("The `_geo` field is invalid.");
  });

  it("upserts in batches with escaped keys and search-only fields, and waits for every batch", async () => {
    const { fake, make } = await start({ pendingPolls: 1 });
    const backend = await make();
    const before = fake.requests.length;
    await backend.upsert(FIXTURE);
    const after = fake.requests.slice(before);
    expect(after.filter((r) => r.path === "/indexes/services/documents")).toHaveLength(3);
    // Each batch's task was polled until it finished, before upsert resolved.
    for (const uid of [2, 3, 4]) {
      const polls = after
        .filter((r) => r.path === `/tasks/${uid}`)
        .map((r) => (r.body as { status: string }).status);
      expect(polls, `task ${uid}`).toEqual(["processing", "succeeded"]);
    }
    const batch = fake.requests[before]!;
    expect(batch.query).toBe("?primaryKey=key");
    const sent = (batch.body as Record<string, any>[])[0]!;
    expect(sent).toMatchObject({
      id: "council:c01",
      key: "council_3Ac01",
      _geo: { lat: 52.633, lng: 1.29 },
      cost: "free",
      nameSort: "norwich family hub early help",
      waitSort: 2,
      terms: expect.stringContaining("Family in acute stress"),
    });
    expect((fake.requests[before + 1]!.body as unknown[]).length).toBe(10);
  });

  it("escapes ids into Meilisearch's key alphabet, reversibly and without collisions", () => {
    expect(meiliKey("council:3f2a-9")).toBe("council_3A3f2a-9");
    expect(meiliKey("a_b")).toBe("a_5Fb");
    expect(meiliKey("a:b")).not.toBe(meiliKey("a_3Ab"));
    expect(meiliKey("é")).toBe("_C3_A9");
    expect(toMeiliDoc({ ...fixtureDoc("charity:h04"), name: "X\uE000Y" }).name).toBe("XY");
  });

  it("removes by escaped key and clears", async () => {
    const { fake, make } = await start();
    const backend = await make();
    await backend.remove(["council:c01", "health:n02"]);
    await backend.remove([]);
    await backend.clear();
    const writes = fake.writes().slice(2);
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /indexes/services/documents/delete-batch",
      "DELETE /indexes/services/documents",
    ]);
    expect(writes[0]!.body).toEqual(["council_3Ac01", "health_3An02"]);
  });

  it("sends a structurally built filter and the analysed words, never raw text", async () => {
    const { fake, make } = await start();
    const backend = await make();
    await backend.search({
      query: 'child and adolescent mental health "-council"',
      filter: {
        partners: ["charity", '" OR partner = "council'],
        ids: ['a" OR partner = "council'],
        age: 9,
      },
      limit: 10,
      offset: 20,
      facets: true,
    });
    const body = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(fake.requests.at(-1)!.path).toBe("/indexes/services/search");
    expect(body).toMatchObject({
      q: "camhs council",
      filter: [
        'status IN ["ACTIVE"]',
        'partner IN ["charity"]',
        'id IN ["a\\" OR partner = \\"council"]',
        "minAge <= 9",
        "maxAge >= 9",
      ],
      matchingStrategy: "all",
      hitsPerPage: 10,
      page: 3,
      facets: [...FACET_NAMES],
      showRankingScore: true,
      attributesToHighlight: ["name", "description"],
      highlightPreTag: "\uE000",
      highlightPostTag: "\uE001",
    });
    expect(body.sort).toBeUndefined();
  });

  it("sorts by _geoPoint with a _geoRadius filter, and pages odd offsets by slicing", async () => {
    const { fake, make } = await start();
    const backend = await make();
    await backend.search({
      near: { lat: 52.6322, lng: 1.2816, radiusKm: 10 },
      limit: 5,
      offset: 3,
    });
    const body = fake.requests.at(-1)!.body as Record<string, unknown>;
    expect(body.filter).toEqual(['status IN ["ACTIVE"]', "_geoRadius(52.6322, 1.2816, 10000)"]);
    expect(body.sort).toEqual(["_geoPoint(52.6322, 1.2816):asc", "id:asc"]);
    expect(body).toMatchObject({ q: "", hitsPerPage: 8, page: 1 });
    expect(body.attributesToHighlight).toBeUndefined();
    await backend.search({ sort: "WAIT", limit: 5, offset: 0 });
    expect((fake.requests.at(-1)!.body as Record<string, unknown>).sort).toEqual([
      "waitSort:asc",
      "id:asc",
    ]);
  });

  it("answers an impossible filter without asking the server", async () => {
    const { fake, make } = await start();
    const backend = await make();
    const before = fake.requests.length;
    const r = await backend.search({
      filter: { partners: ['" OR partner = "council'] },
      limit: 10,
      offset: 0,
      facets: true,
    });
    expect(fake.requests.length).toBe(before);
    expect(r).toEqual({
      totalCount: 0,
      hits: [],
      facets: Object.fromEntries(FACET_NAMES.map((n) => [n, []])),
    });
  });

  it("maps hits: escaped highlight with marks, distance, score, facets, exact total", async () => {
    const { make } = await start({
      search: (body) => ({
        hits: [
          {
            id: "charity:h04",
            _geo: { lat: 51.464, lng: -2.556 },
            _geoDistance: 1234,
            _rankingScore: 0.91,
            _formatted: {
              name: "Young Minds",
              description: "Low-cost \uE000counselling\uE001 & <script>x</script>",
            },
          },
          {
            id: "health:n01",
            _geo: { lat: 52.63, lng: 1.28 },
            _rankingScore: 0.5,
            _formatted: { name: "\uE000CAMHS\uE001 Norfolk", description: "Specialist" },
          },
        ],
        query: body.q,
        processingTimeMs: 1,
        hitsPerPage: 2,
        page: 1,
        totalPages: 4,
        totalHits: 7,
        facetDistribution: { partner: { charity: 3, health: 4 }, cost: { free: 7 } },
      }),
    });
    const backend = await make();
    const r = await backend.search({
      query: "counselling",
      near: { lat: 51.45, lng: -2.58, radiusKm: 20 },
      limit: 2,
      offset: 0,
      facets: true,
    });
    expect(r.totalCount).toBe(7);
    expect(r.hits[0]).toEqual({
      id: "charity:h04",
      distanceKm: 1.234,
      score: 0.91,
      highlight: "Low-cost <mark>counselling</mark> &amp; &lt;script&gt;x&lt;/script&gt;",
    });
    expect(r.hits[1]!.highlight).toBe("<mark>CAMHS</mark> Norfolk");
    // No _geoDistance (not sorted by distance): computed from _geo.
    expect(r.hits[1]!.distanceKm).toBeCloseTo(haversineKm(51.45, -2.58, 52.63, 1.28), 2);
    expect(r.facets!.partner).toEqual([
      { value: "health", count: 4 },
      { value: "charity", count: 3 },
    ]);
    expect(r.facets!.needs).toEqual([]);
  });

  it("gets documents by id filter in the order asked, without search-only fields", async () => {
    const stored = [toMeiliDoc(fixtureDoc("health:n02")), toMeiliDoc(fixtureDoc("council:c01"))];
    const { fake, make } = await start({
      fetch: () => stored as unknown as Record<string, unknown>[],
    });
    const backend = await make();
    const got = await backend.get(["council:c01", 'nope"', "health:n02"]);
    expect(got).toEqual([fixtureDoc("council:c01"), null, fixtureDoc("health:n02")]);
    expect(fake.requests.at(-1)!.body).toMatchObject({
      filter: 'id IN ["council:c01", "nope\\"", "health:n02"]',
      limit: 3,
    });
  });

  it("lists a partner's ids page by page", async () => {
    const { fake, make } = await start({
      fetch: (body) => {
        const offset = Number(body.offset);
        const n = offset === 0 ? 1000 : 5;
        return Array.from({ length: n }, (_, i) => ({
          id: `charity:${String(offset + i).padStart(4, "0")}`,
        }));
      },
    });
    const backend = await make();
    const ids = await backend.idsByPartner("charity");
    expect(ids).toHaveLength(1005);
    const fetches = fake.requests
      .filter((r) => r.path.endsWith("/documents/fetch"))
      .map((r) => r.body);
    expect(fetches).toEqual([
      { filter: 'partner = "charity"', fields: ["id"], limit: 1000, offset: 0 },
      { filter: 'partner = "charity"', fields: ["id"], limit: 1000, offset: 1000 },
    ]);
    expect(await backend.count()).toBe(42);
    await backend.close();
    await expect(backend.count()).rejects.toBeInstanceOf(SearchBackendError);
  });
});

// The shared contract against a real server, only when one is configured.
const MEILI_URL = process.env.MEILI_URL;
const MEILI_API_KEY = process.env.MEILI_API_KEY;
describe.skipIf(!MEILI_URL)("Meilisearch backend (live server at MEILI_URL)", () => {
  const uid = `wayfinder_contract_${process.pid}_${Date.now()}`;
  searchContract("meilisearch", () =>
    createMeiliBackend({ url: MEILI_URL!, apiKey: MEILI_API_KEY, index: uid }),
  );
  afterAll(async () => {
    await new Meilisearch({ host: MEILI_URL!, apiKey: MEILI_API_KEY })
      .index(uid)
      .delete()
      .waitTask()
      .catch(() => undefined);
  });
});

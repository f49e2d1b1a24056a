// `npm run import -- --url`: pulling a feed from a real HTTP server that serves the official
// examples as a paged ORUK API, one that is flaky, and one that fails halfway.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../subgraphs/kit/db/db.ts";
import { FeedError, pullFeed } from "../subgraphs/kit/hsds/pull.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const FIXTURES = path.join(import.meta.dirname, "fixtures");

// The official service_full examples (HSDS 3.0 and the UK profile), each copied under new ids so
// the feed has several pages: what a council's API serves, record for record.
const examples = ["hsds3-examples", "oruk-uk-profile-examples"].map(
  (d) =>
    JSON.parse(readFileSync(path.join(FIXTURES, d, "service_full.json"), "utf8")) as Record<
      string,
      unknown
    >,
);
// Child records (schedules, contacts…) get new ids too, since each becomes a row of its own; the
// organization, locations and taxonomy terms stay shared, as in a real feed.
const SHARED = new Set(["organization", "location", "taxonomy_term", "taxonomy_detail"]);
function renumber(v: unknown, i: number): unknown {
  if (Array.isArray(v)) return v.map((x) => renumber(x, i));
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    out[k] =
      k === "id" && typeof x === "string"
        ? `${i}${x.slice(1)}`
        : SHARED.has(k)
          ? x
          : renumber(x, i);
  return out;
}
const SERVICES = Array.from({ length: 5 }, (_, i) => {
  const s = renumber(structuredClone(examples[i % 2]), i) as Record<string, unknown>;
  s.id = `0000000${i}-d857-441c-9679-408f346de14b`;
  s.name = `${String(s.name)} ${i}`;
  return s;
});

interface Feed {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** A paged ORUK API over SERVICES; `fail(path, n)` decides whether request n to path fails. */
async function serveFeed(
  fail: (path: string, n: number) => number | undefined = () => undefined,
): Promise<Feed> {
  const requests: string[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${url.pathname}${url.search}`);
    const n = (counts.get(url.pathname + url.search) ?? 0) + 1;
    counts.set(url.pathname + url.search, n);
    const status = fail(url.pathname + url.search, n);
    if (status) {
      res.writeHead(status, { "content-type": "text/plain" }).end("unavailable");
      return;
    }
    const json = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/services") {
      const page = Number(url.searchParams.get("page") ?? 1);
      const size = 2;
      const contents = SERVICES.slice((page - 1) * size, page * size).map((s) => ({
        id: s.id,
        name: s.name,
        status: s.status,
      }));
      const totalPages = Math.ceil(SERVICES.length / size);
      return json({
        total_items: SERVICES.length,
        total_pages: totalPages,
        page_number: page,
        size,
        first_page: page === 1,
        last_page: page >= totalPages,
        empty: contents.length === 0,
        contents,
      });
    }
    const m = /^\/services\/([^/]+)$/.exec(url.pathname);
    const svc = m && SERVICES.find((s) => s.id === decodeURIComponent(m[1]));
    if (svc) return json(svc);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("pullFeed", () => {
  it("reads /services page by page, then each /services/{id}", async () => {
    const feed = await serveFeed();
    try {
      const progress: [number, number][] = [];
      const r = await pullFeed(feed.url + "/", {
        requestsPerSecond: 100,
        onProgress: (d, t) => progress.push([d, t]),
      });
      expect(r.pages).toBe(3);
      expect((r.services as { id: string }[]).map((s) => s.id)).toEqual(SERVICES.map((s) => s.id));
      expect(feed.requests.slice(0, 3)).toEqual([
        "/services?page=1&per_page=100",
        "/services?page=2&per_page=100",
        "/services?page=3&per_page=100",
      ]);
      expect(feed.requests.slice(3)).toEqual(SERVICES.map((s) => `/services/${s.id}`));
      expect(progress.at(-1)).toEqual([5, 5]);
    } finally {
      await feed.close();
    }
  });

  it("retries 503s and carries on", async () => {
    const feed = await serveFeed((p, n) =>
      p.startsWith("/services/0000000") && n === 1 ? 503 : undefined,
    );
    try {
      const r = await pullFeed(feed.url, { requestsPerSecond: 100, backoffMs: 5 });
      expect(r.services).toHaveLength(5);
      expect(r.requests).toBe(3 + 5 * 2);
    } finally {
      await feed.close();
    }
  });

  it("gives up with a FeedError naming the request when the server keeps failing", async () => {
    const feed = await serveFeed((p) => (p === "/services?page=2&per_page=100" ? 500 : undefined));
    try {
      const err = await pullFeed(feed.url, {
        requestsPerSecond: 100,
        backoffMs: 5,
        attempts: 3,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FeedError);
      expect((err as Error).message).toBe(
        `GET ${feed.url}/services?page=2&per_page=100: failed after 3 attempts (last: HTTP 500 Internal Server Error)`,
      );
    } finally {
      await feed.close();
    }
  });
});

describe("npm run import -- --url", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wayfinder-pull-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, "data") };
    delete env.COUNCIL_DATABASE_URL;
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ["scripts/launch.mjs", "scripts/import.ts", ...args],
        { cwd: root, env },
      );
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const liveServices = async () => {
    const db = await openDb({ dataDir: path.join(dir, "data", "council") });
    try {
      return (
        await db.query<{ id: string }>(
          `SELECT id FROM service WHERE deleted_at IS NULL ORDER BY id`,
        )
      ).map((r) => r.id);
    } finally {
      await db.close();
    }
  };

  // Each CLI run starts tsx and a file-backed PGlite: slow on a loaded machine.
  it(
    "imports a whole feed and prints the report; a feed failing halfway writes nothing",
    { timeout: 300_000 },
    async () => {
      const feed = await serveFeed();
      try {
        const r = await cli(["--partner", "council", "--url", feed.url, "--rate", "50"]);
        expect(r.stderr).not.toMatch(/import:/);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`imported ${feed.url} into council`);
        expect(r.stdout).toContain("read:    a list of 5 services");
        expect(r.stdout).toContain("written: 5 services, 1 organization");
        expect(r.stdout).toMatch(/service\.accreditations: 5/);
      } finally {
        await feed.close();
      }
      expect(await liveServices()).toEqual(SERVICES.map((s) => s.id).sort());

      // The second run fails on a detail request halfway through the feed:
      // nothing of it lands, not even with --replace.
      const broken = await serveFeed((p) =>
        p === `/services/${SERVICES[3].id}` ? 500 : undefined,
      );
      try {
        const r = await cli([
          "--partner",
          "council",
          "--url",
          broken.url,
          "--rate",
          "50",
          // Retries as in production (5 attempts), without 15 s of waiting between them.
          "--retry-delay",
          "20",
          "--replace",
          "--force",
        ]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
          `GET ${broken.url}/services/${SERVICES[3].id}: failed after 5 attempts`,
        );
        expect(r.stderr).toContain("Nothing was imported.");
      } finally {
        await broken.close();
      }
      expect(await liveServices()).toEqual(SERVICES.map((s) => s.id).sort());
    },
  );
});

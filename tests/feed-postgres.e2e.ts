// The change feed cannot lose a change on PostgreSQL, where change_seq is taken when a statement
// runs, not when its transaction commits. Two overlapping transactions, both interleavings, first
// against the feed itself, then through the whole stack and the gateway; and the reconciliation pass
// repairing a change the feed never delivered. Cumbria data written for these tests.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { FEED_START, readFeed } from "../subgraphs/kit/feed.ts";
import { startStack, type Stack } from "../scripts/stack.ts";
import { POSTGRES_URL, dropSchemaOf, freshSchemaUrl, hasPostgres } from "./helpers/postgres.ts";
import { eventually, gql, testStackConfig } from "./helpers/stack.ts";
import { CUMBERLAND, CUMBRIA, KENDAL, WESTMORLAND, cumbriaBundle } from "./fixtures/cumbria.ts";

const schemaOf = (url: string) => new URL(url).searchParams.get("schema")!;

/** A second connection into a test schema, to hold a transaction open beside the feed reader. */
async function connection(url: string) {
  const client = new pg.Client({
    connectionString: POSTGRES_URL,
    options: `-c search_path=${schemaOf(url)}`,
  });
  await client.connect();
  return client;
}

const rename = (client: pg.Client, id: string, name: string) =>
  client.query(
    `UPDATE service SET name = $2, version = version + 1, change_seq = nextval('change_seq') WHERE id = $1`,
    [id, name],
  );

describe.runIf(hasPostgres)("the change feed under overlapping transactions (PostgreSQL)", () => {
  let url: string;
  let db: Db;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    url = freshSchemaUrl("feed_tx");
    db = await openDb({ url });
    await importHsds(
      db,
      validateHsds(
        cumbriaBundle("council", [
          { id: "s1", name: "Workington Family Hub", needs: ["FAMILY_STRESS"] },
          { id: "s2", name: "Whitehaven Family Hub", needs: ["FAMILY_STRESS"] },
        ]),
      ),
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await db?.close();
    if (url) await dropSchemaOf(url);
  });

  async function cursorNow() {
    return eventually(async () => {
      const page = await readFeed(db, "council", FEED_START, 100);
      expect(page.changes.map((c) => c.id).sort()).toEqual(["council:s1", "council:s2"]);
      return page.cursor;
    });
  }

  it("holds back a later-numbered commit until the earlier transaction finishes, then delivers both", async () => {
    const cursor = await cursorNow();
    const [a, b] = [await connection(url), await connection(url)];
    clients.push(a, b);
    await a.query("BEGIN");
    await rename(a, "s1", "Workington Family Hub (A)"); // takes the lower change_seq, stays open
    await b.query("BEGIN");
    await rename(b, "s2", "Whitehaven Family Hub (B)"); // a higher change_seq, committed first
    await b.query("COMMIT");
    const seqs = await db.query<{ id: string; change_seq: number }>(
      `SELECT id, change_seq FROM service ORDER BY id`,
    );
    expect(seqs[0]!.change_seq).toBeLessThan(seqs[1]!.change_seq);

    // A cursor past B's number would never see A's; so B waits while A is running.
    const during = await readFeed(db, "council", cursor, 100);
    expect(during.changes).toEqual([]);
    expect(during.cursor).toBe(cursor);

    await a.query("COMMIT");
    const after = await eventually(async () => {
      const page = await readFeed(db, "council", cursor, 100);
      expect(page.changes).toHaveLength(2);
      return page;
    });
    expect(after.changes.map((c) => c.service?.name).sort()).toEqual([
      "Whitehaven Family Hub (B)",
      "Workington Family Hub (A)",
    ]);
    expect((await readFeed(db, "council", after.cursor, 100)).changes).toEqual([]);
  });

  it("delivers a transaction that started writing later but committed later, after one that wrote on both sides of it", async () => {
    const cursor = await cursorNow();
    const [a, b] = [await connection(url), await connection(url)];
    clients.push(a, b);
    await b.query("BEGIN");
    await rename(b, "s2", "Whitehaven Family Hub (B1)"); // B has the older transaction id
    await a.query("BEGIN");
    await rename(a, "s1", "Workington Family Hub (A2)"); // A's change_seq is below B's next one
    await rename(b, "s2", "Whitehaven Family Hub (B2)");
    await b.query("COMMIT");

    const first = await eventually(async () => {
      const page = await readFeed(db, "council", cursor, 100);
      expect(page.changes.map((c) => c.service?.name)).toEqual(["Whitehaven Family Hub (B2)"]);
      return page;
    });
    await a.query("COMMIT");
    const second = await eventually(async () => {
      const page = await readFeed(db, "council", first.cursor, 100);
      expect(page.changes.map((c) => c.service?.name)).toEqual(["Workington Family Hub (A2)"]);
      return page;
    });
    expect(second.changes[0]!.seq).toBeLessThan(first.changes[0]!.seq);
  });
});

describe.runIf(hasPostgres)(
  "through the gateway: no lost update, and reconciliation (PostgreSQL)",
  () => {
    const urls = {} as Record<PartnerId, string>;
    const dbs = {} as Record<PartnerId, Db>;
    let stack: Stack;
    const clients: pg.Client[] = [];
    beforeAll(async () => {
      for (const p of PARTNERS) {
        urls[p] = freshSchemaUrl(`feed_stack_${p}`);
        dbs[p] = await openDb({ url: urls[p] });
        await importHsds(dbs[p], validateHsds(CUMBRIA[p]));
      }
      stack = await startStack(
        testStackConfig({ syncIntervalMs: 200, reconcileIntervalMs: 3_600_000 }),
        { dbs },
      );
    });
    afterAll(async () => {
      for (const c of clients) await c.end().catch(() => undefined);
      await stack?.close();
      for (const p of PARTNERS) await dbs[p]?.close();
      for (const p of PARTNERS) if (urls[p]) await dropSchemaOf(urls[p]);
    });

    const found = async (query: string) => {
      const res = await gql(
        stack.gatewayUrl,
        /* GraphQL */ `
          query Find($q: String!, $la: [String!]) {
            searchServices(query: $q, filter: { localAuthorities: $la }) {
              edges {
                node {
                  id
                  name
                }
              }
            }
          }
        `,
        { q: query, la: [CUMBERLAND, WESTMORLAND] },
      );
      expect(res.errors).toBeUndefined();
      return res.data.searchServices.edges.map((e: any) => e.node.id as string);
    };
    const lastSync = async () => {
      const res = await gql(stack.gatewayUrl, `{ partnerStatus { partner lastSyncAt } }`);
      return new Date(
        res.data.partnerStatus.find((p: any) => p.partner === "HEALTH").lastSyncAt,
      ).getTime();
    };

    it("an admin update committing after a later-numbered import has synced still reaches search", async () => {
      const admin = await connection(urls.health);
      clients.push(admin);
      await admin.query("BEGIN");
      await rename(admin, "adhd-carlisle", "Carlisle Neurodevelopmental Service Riverside");

      // The import takes later change numbers and commits while the admin's transaction is open.
      await importHsds(
        dbs.health,
        validateHsds(
          cumbriaBundle("health", [
            {
              id: "adhd-kendal",
              name: "Kendal Neurodevelopmental Clinic",
              needs: ["ADHD"],
              areas: [WESTMORLAND],
              at: KENDAL,
            },
          ]),
        ),
      );
      const imported = Date.now();
      // Let the directory run full sync passes after the import's commit (with a cursor that simply
      // took the highest number, the admin's update would now be behind it for good).
      await eventually(async () => expect(await lastSync()).toBeGreaterThan(imported + 500));

      await admin.query("COMMIT");
      await eventually(async () => {
        expect(await found("Riverside")).toEqual(["health:adhd-carlisle"]);
        expect(await found("Kendal Neurodevelopmental")).toEqual(["health:adhd-kendal"]);
      });
    });

    it("the reconciliation pass repairs a change the feed never delivered", async () => {
      // A write behind the directory's cursor (as a lost update, or a restored backup, leaves one).
      const direct = await connection(urls.council);
      clients.push(direct);
      await direct.query("ALTER TABLE service DISABLE TRIGGER service_change_stamp");
      await direct.query(
        `UPDATE service SET name = 'Carlisle Family Hub Lanes', change_seq = nextval('change_seq'), change_xid = '1' WHERE id = 'fh-carlisle'`,
      );
      await direct.query("ALTER TABLE service ENABLE TRIGGER service_change_stamp");
      // And an index that lost a service.
      await stack.directory.sync.backend.remove(["charity:yc-eden"]);
      expect(await found("Lanes")).toEqual([]);
      expect(await found("Eden")).toEqual([]);

      const reports = await stack.directory.sync.reconcile();
      expect(reports.find((r) => r.partner === "council")).toMatchObject({
        refetched: 1,
        removed: 0,
        restored: 0,
        error: null,
      });
      expect(reports.find((r) => r.partner === "charity")).toMatchObject({
        refetched: 0,
        restored: 1,
        error: null,
      });
      expect(await found("Lanes")).toEqual(["council:fh-carlisle"]);
      expect(await found("Eden")).toEqual(["charity:yc-eden"]);
    });
  },
);

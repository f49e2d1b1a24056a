// The directory's own state store: per-partner sync checkpoints and its copy of every indexed
// service. Persistent (file-backed PGlite under DATA_DIR/directory, or PostgreSQL) when the
// directory is given somewhere to keep it; in memory otherwise (tests, one-off runs).
import { fileURLToPath } from "node:url";
import type { PartnerId } from "../../../schema/vocabulary.ts";
import { openDb, type Db } from "../../kit/db/db.ts";
import type { ServiceDoc } from "../search/types.ts";

export interface Checkpoint {
  partner: PartnerId;
  /** Change-feed cursor to resume from. */
  cursor: string;
  lastSyncAt: Date | null;
  lastError: string | null;
  lastReconciledAt: Date | null;
}

export interface StoredDoc {
  doc: ServiceDoc;
  /** The partner's change_seq for this version. */
  seq: number;
}

export interface DirectoryState {
  /** True when what is written here survives a restart. */
  readonly persistent: boolean;
  checkpoints(): Promise<Checkpoint[]>;
  /** One feed page: documents changed and removed, and where the feed now stands, in one step. */
  apply(checkpoint: Checkpoint, upserts: StoredDoc[], removals: string[]): Promise<void>;
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** id → change_seq of one partner's stored services. */
  seqs(partner: PartnerId): Promise<Map<string, number>>;
  docs(ids: string[]): Promise<ServiceDoc[]>;
  /** Every stored document, a batch at a time (to rebuild an in-process index). */
  allDocs(batchSize?: number): AsyncIterable<ServiceDoc[]>;
  count(): Promise<number>;
  /** Replaces everything stored for a partner (after a full reindex). */
  replacePartner(checkpoint: Checkpoint, docs: StoredDoc[]): Promise<void>;
  close(): Promise<void>;
}

const migrations = fileURLToPath(new URL("./migrations", import.meta.url));

export interface StateOptions {
  /** PostgreSQL URL (DIRECTORY_DATABASE_URL). */
  url?: string;
  /** Directory for a file-backed PGlite store. */
  dataDir?: string;
}

/** A persistent store when given a URL or a data directory, else an in-memory one. */
export async function openDirectoryState(opts: StateOptions): Promise<DirectoryState> {
  if (!opts.url && !opts.dataDir) return memoryState();
  const db = await openDb({
    url: opts.url,
    dataDir: opts.dataDir,
    migrationDirs: [migrations],
    baseMigrations: false,
  });
  return dbState(db);
}

export function memoryState(): DirectoryState {
  const checkpoints = new Map<PartnerId, Checkpoint>();
  const stored = new Map<string, StoredDoc>();
  return {
    persistent: false,
    async checkpoints() {
      return [...checkpoints.values()].map((c) => ({ ...c }));
    },
    async apply(checkpoint, upserts, removals) {
      for (const id of removals) stored.delete(id);
      for (const s of upserts) stored.set(s.doc.id, s);
      checkpoints.set(checkpoint.partner, { ...checkpoint });
    },
    async saveCheckpoint(checkpoint) {
      checkpoints.set(checkpoint.partner, { ...checkpoint });
    },
    async seqs(partner) {
      const out = new Map<string, number>();
      for (const [id, s] of stored) if (s.doc.partner === partner) out.set(id, s.seq);
      return out;
    },
    async docs(ids) {
      return ids.map((id) => stored.get(id)?.doc).filter((d): d is ServiceDoc => !!d);
    },
    async *allDocs(batchSize = 5000) {
      const all = [...stored.values()].map((s) => s.doc);
      for (let i = 0; i < all.length; i += batchSize) yield all.slice(i, i + batchSize);
    },
    async count() {
      return stored.size;
    },
    async replacePartner(checkpoint, docs) {
      for (const [id, s] of stored) if (s.doc.partner === checkpoint.partner) stored.delete(id);
      for (const s of docs) stored.set(s.doc.id, s);
      checkpoints.set(checkpoint.partner, { ...checkpoint });
    },
    async close() {},
  };
}

const BATCH = 2000;

function dbState(db: Db): DirectoryState {
  const saveCheckpoint = (tx: Pick<Db, "query">, c: Checkpoint) =>
    tx.query(
      `INSERT INTO partner_sync (partner, feed_cursor, last_sync_at, last_error, last_reconciled_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (partner) DO UPDATE SET feed_cursor = EXCLUDED.feed_cursor,
         last_sync_at = EXCLUDED.last_sync_at, last_error = EXCLUDED.last_error,
         last_reconciled_at = EXCLUDED.last_reconciled_at`,
      [c.partner, c.cursor, c.lastSyncAt, c.lastError, c.lastReconciledAt],
    );
  const upsert = async (tx: Pick<Db, "query">, docs: StoredDoc[]) => {
    for (let i = 0; i < docs.length; i += BATCH) {
      const rows = docs
        .slice(i, i + BATCH)
        .map((s) => ({ id: s.doc.id, partner: s.doc.partner, seq: s.seq, doc: s.doc }));
      await tx.query(
        `INSERT INTO indexed_service (id, partner, seq, doc)
         SELECT id, partner, seq, doc FROM jsonb_to_recordset($1::jsonb) AS r(id text, partner text, seq bigint, doc jsonb)
         ON CONFLICT (id) DO UPDATE SET partner = EXCLUDED.partner, seq = EXCLUDED.seq, doc = EXCLUDED.doc`,
        [JSON.stringify(rows)],
      );
    }
  };
  return {
    persistent: true,
    async checkpoints() {
      const rows = await db.query<{
        partner: PartnerId;
        feed_cursor: string;
        last_sync_at: Date | null;
        last_error: string | null;
        last_reconciled_at: Date | null;
      }>(
        `SELECT partner, feed_cursor, last_sync_at, last_error, last_reconciled_at FROM partner_sync`,
      );
      return rows.map((r) => ({
        partner: r.partner,
        cursor: r.feed_cursor,
        lastSyncAt: r.last_sync_at ? new Date(r.last_sync_at) : null,
        lastError: r.last_error,
        lastReconciledAt: r.last_reconciled_at ? new Date(r.last_reconciled_at) : null,
      }));
    },
    async apply(checkpoint, upserts, removals) {
      await db.transaction(async (tx) => {
        if (removals.length)
          await tx.query(`DELETE FROM indexed_service WHERE id = ANY($1::text[])`, [removals]);
        await upsert(tx, upserts);
        await saveCheckpoint(tx, checkpoint);
      });
    },
    async saveCheckpoint(checkpoint) {
      await saveCheckpoint(db, checkpoint);
    },
    async seqs(partner) {
      const rows = await db.query<{ id: string; seq: number | string }>(
        `SELECT id, seq FROM indexed_service WHERE partner = $1`,
        [partner],
      );
      return new Map(rows.map((r) => [r.id, Number(r.seq)]));
    },
    async docs(ids) {
      const rows = await db.query<{ doc: ServiceDoc | string }>(
        `SELECT doc FROM indexed_service WHERE id = ANY($1::text[])`,
        [ids],
      );
      return rows.map((r) => (typeof r.doc === "string" ? JSON.parse(r.doc) : r.doc) as ServiceDoc);
    },
    async *allDocs(batchSize = 5000) {
      let after = "";
      for (;;) {
        const rows = await db.query<{ id: string; doc: ServiceDoc | string }>(
          `SELECT id, doc FROM indexed_service WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, batchSize],
        );
        if (!rows.length) return;
        yield rows.map(
          (r) => (typeof r.doc === "string" ? JSON.parse(r.doc) : r.doc) as ServiceDoc,
        );
        after = rows.at(-1)!.id;
      }
    },
    async count() {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM indexed_service`);
      return row!.n;
    },
    async replacePartner(checkpoint, docs) {
      await db.transaction(async (tx) => {
        await tx.query(`DELETE FROM indexed_service WHERE partner = $1`, [checkpoint.partner]);
        await upsert(tx, docs);
        await saveCheckpoint(tx, checkpoint);
      });
    },
    close: () => db.close(),
  };
}

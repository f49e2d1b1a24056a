-- What the directory knows, kept across restarts: where it is in each partner's change feed, when it
-- last reached each partner, and its own copy of every service it indexes (the document the index
-- holds, with the partner's change number). The embedded index is rebuilt from these copies at
-- start, so a partner that is down at restart is still known, offline, with its last good entries.
CREATE TABLE partner_sync (
  partner text PRIMARY KEY,
  feed_cursor text NOT NULL DEFAULT '0',
  last_sync_at timestamptz,
  last_error text,
  last_reconciled_at timestamptz
);

CREATE TABLE indexed_service (
  id text PRIMARY KEY,
  partner text NOT NULL,
  seq bigint NOT NULL,
  doc jsonb NOT NULL
);
CREATE INDEX indexed_service_partner_idx ON indexed_service (partner, id);

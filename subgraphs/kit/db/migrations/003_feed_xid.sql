-- A change feed that cannot lose a change. change_seq is taken when a statement runs, not when its
-- transaction commits: on PostgreSQL a transaction holding seq 10 can commit after one holding 11
-- has been read, and a reader whose cursor passed 11 never sees 10. So every write also records the
-- transaction that made it (xid8), and the feed orders by (change_xid, change_seq) and hands out
-- only rows written by transactions older than the oldest one still running
-- (pg_snapshot_xmin(pg_current_snapshot())): every write that can still commit has a larger xid
-- than anything already handed out, so it lands after the cursor.
ALTER TABLE service ADD COLUMN change_xid xid8;
UPDATE service SET change_xid = pg_current_xact_id();
ALTER TABLE service ALTER COLUMN change_xid SET NOT NULL;
CREATE INDEX service_change_xid_idx ON service (change_xid, change_seq);

-- Stamped by a trigger so no writer (the importer, admin updates, a hand-written UPDATE) can forget:
-- an UPDATE that leaves change_seq alone still moves the row to the end of the feed.
CREATE FUNCTION service_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id();
  IF TG_OP = 'UPDATE' AND NEW.change_seq = OLD.change_seq THEN
    NEW.change_seq := nextval('change_seq');
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER service_change_stamp BEFORE INSERT OR UPDATE ON service
  FOR EACH ROW EXECUTE FUNCTION service_change_stamp();

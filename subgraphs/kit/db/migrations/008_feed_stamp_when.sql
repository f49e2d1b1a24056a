-- The change-feed stamp (003) without a plpgsql call per row when the writer already stamped the
-- row itself, as the importer does for 100,000 services at a time (the call was most of the cost
-- of its service upsert). The WHEN conditions hold exactly when service_change_stamp() would change
-- something: change_xid is not yet this transaction's, or an UPDATE left change_seq alone. So every
-- writer still gets the same stamp, whether it stamps the row itself or forgets to.
-- An INSERT trigger's WHEN cannot name OLD, hence two triggers; the UPDATE one keeps the old name.
DROP TRIGGER service_change_stamp ON service;

CREATE TRIGGER service_change_stamp_insert BEFORE INSERT ON service
  FOR EACH ROW WHEN (NEW.change_xid IS DISTINCT FROM pg_current_xact_id())
  EXECUTE FUNCTION service_change_stamp();

CREATE TRIGGER service_change_stamp BEFORE UPDATE ON service
  FOR EACH ROW WHEN (NEW.change_xid IS DISTINCT FROM pg_current_xact_id()
    OR NEW.change_seq = OLD.change_seq)
  EXECUTE FUNCTION service_change_stamp();

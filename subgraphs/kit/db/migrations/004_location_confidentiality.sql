-- Confidentiality is sticky and every change to it is accounted for. Each change of a location's
-- confidential flag, by an admin or by an import allowed to unhide, leaves one row here.
CREATE TABLE location_audit (
  id bigserial PRIMARY KEY,
  location_id text NOT NULL REFERENCES location(id),
  -- The verified subject (claims.sub) for an admin; "import" for `npm run import --allow-unhide`.
  actor text NOT NULL,
  actor_partner text,
  at timestamptz NOT NULL DEFAULT now(),
  confidential_from boolean NOT NULL,
  confidential_to boolean NOT NULL,
  reason text
);
CREATE INDEX location_audit_location_idx ON location_audit (location_id, id);

-- The search index holds a copy of every service's locations. When a location's confidentiality or
-- position changes, every service at it goes back on the change feed, whichever service (or
-- import) carried the change, so no index document keeps an exact position the partner has hidden.
-- (service_change_stamp, 003, moves each touched service to the end of the feed.)
CREATE FUNCTION location_rederive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE service SET last_modified = now()
  WHERE id IN (SELECT service_id FROM service_at_location WHERE location_id = NEW.id);
  RETURN NEW;
END
$$;

CREATE TRIGGER location_rederive AFTER UPDATE ON location FOR EACH ROW
  WHEN (OLD.confidential IS DISTINCT FROM NEW.confidential
    OR OLD.latitude IS DISTINCT FROM NEW.latitude
    OR OLD.longitude IS DISTINCT FROM NEW.longitude
    OR OLD.address_1 IS DISTINCT FROM NEW.address_1
    OR OLD.postal_code IS DISTINCT FROM NEW.postal_code)
  EXECUTE FUNCTION location_rederive();

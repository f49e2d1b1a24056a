-- Who changed which service, when, and what changed: one row per successful partner update,
-- written in the same transaction as the update it records. Only fields that actually changed are
-- kept, as {"<field>": {"from": …, "to": …}} in the API's own terms (e.g. status "ACTIVE").
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id),
  -- The verified subject (claims.sub) and the partner they administer.
  actor text NOT NULL,
  actor_partner text,
  at timestamptz NOT NULL DEFAULT now(),
  version_from integer NOT NULL,
  version_to integer NOT NULL,
  changes jsonb NOT NULL,
  CHECK (version_to > version_from)
);
CREATE INDEX audit_log_service_idx ON audit_log (service_id, id);

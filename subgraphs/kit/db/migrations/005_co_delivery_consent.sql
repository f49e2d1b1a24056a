-- Co-delivery needs the owner's agreement. A charity proposes that it co-delivers another partner's
-- service (its own co_delivery rows, from its import or its admin); the service's owner decides
-- here, in its own database. Only a proposal whose exact content (the fingerprint) the owner
-- accepted is public, so a later edit by the proposer needs accepting again.
CREATE TABLE co_delivery_decision (
  service_id text NOT NULL REFERENCES service(id),
  co_delivery_id text NOT NULL,
  -- Fingerprint of the accepted content (null for a removal).
  fingerprint text,
  decision text NOT NULL CHECK (decision IN ('accepted', 'removed')),
  actor text NOT NULL,
  actor_partner text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service_id, co_delivery_id)
);

-- Referrals a professional sends to one of this partner's services. They live only here, in the
-- database of the partner that will help the child: never in the directory, its index or the
-- change feed. Everything that identifies the child, the family's consent and the referrer's
-- contact details is one AES-256-GCM sealed JSON document (`personal`, see
-- subgraphs/kit/referral/referral.crypto.ts); the columns in clear are what the inbox, the
-- referrer's list and the commissioners' counts need, and none of them names the child.
CREATE TABLE referral (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id),
  -- NEW, ACKNOWLEDGED, ACCEPTED, DECLINED, MORE_INFO_REQUESTED, CLOSED (OVERDUE is derived: NEW
  -- past due_at).
  status text NOT NULL CHECK (status IN ('NEW', 'ACKNOWLEDGED', 'ACCEPTED', 'DECLINED', 'MORE_INFO_REQUESTED', 'CLOSED')),
  version integer NOT NULL DEFAULT 1,
  urgency text NOT NULL,
  needs text[] NOT NULL DEFAULT '{}',
  -- The referrer's verified subject (claims.sub): myReferrals reads by it.
  referrer_sub text NOT NULL,
  -- Sealed: child (name, date of birth, postcode), reason, consent, referrer contact details.
  personal text,
  -- The route plan it came from: an opaque reference and the plan's ranked service ids for the need
  -- (ids only), so a declined referral can offer the next-ranked service.
  plan_ref text,
  plan_need text,
  plan_service_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  -- When it must be acknowledged by (created_at + the service's response time).
  due_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  decided_at timestamptz,
  closed_at timestamptz,
  decline_reason text,
  suggested_service_id text,
  outcome text,
  -- Set when retention purged the personal data (REFERRAL_RETENTION_DAYS after closing).
  purged_at timestamptz
);
CREATE INDEX referral_inbox_idx ON referral (status, created_at DESC, id);
CREATE INDEX referral_referrer_idx ON referral (referrer_sub, created_at DESC, id);
CREATE INDEX referral_service_idx ON referral (service_id);

-- Every status change: who, when, from → to, with the referral's version before and after. A note
-- (a decline's explanation, a question, an answer) may name the child, so it is sealed too.
CREATE TABLE referral_event (
  id bigserial PRIMARY KEY,
  referral_id text NOT NULL REFERENCES referral(id),
  actor text NOT NULL,
  actor_role text NOT NULL,
  actor_partner text,
  at timestamptz NOT NULL,
  status_from text,
  status_to text NOT NULL,
  version_from integer,
  version_to integer NOT NULL,
  note_sealed text
);
CREATE INDEX referral_event_referral_idx ON referral_event (referral_id, id);

-- How quickly a service answers referrals, in hours (a Wayfinder extension to HSDS service:
-- wayfinder.referral_response_hours). Null: the partner's default (its manifest).
ALTER TABLE service ADD COLUMN referral_response_hours integer CHECK (referral_response_hours > 0);

-- A partner's webhook for its referrals: new referrals and status changes are POSTed there, signed
-- with HMAC-SHA256 of the body under the partner's secret (kept sealed like personal data).
CREATE TABLE referral_webhook (
  partner text PRIMARY KEY,
  url text NOT NULL,
  secret_sealed text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);

-- The delivery log: one row per event, retried with backoff until delivered or given up. The body
-- names the referral and its status only, never the child (the receiver reads the rest through the
-- API with its own credentials), so it is kept in clear for the log.
CREATE TABLE referral_webhook_delivery (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  referral_id text NOT NULL,
  url text NOT NULL,
  body text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  next_attempt_at timestamptz,
  delivered_at timestamptz
);
CREATE INDEX referral_webhook_delivery_due_idx ON referral_webhook_delivery (state, next_attempt_at);

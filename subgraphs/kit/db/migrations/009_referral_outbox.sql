-- The delivery log becomes a transactional outbox: a referral's creation or status change and its
-- notification row are written in the same transaction (referral.data.ts), so a crash after the
-- commit can delay a notification but never lose it. Each row carries a delivery id that stays the
-- same across retries and restarts (receivers dedupe on it: delivery is at least once), and a
-- lease: the dispatcher that claims a row (FOR UPDATE SKIP LOCKED) owns it until claimed_until, so
-- two replicas on one PostgreSQL database never send the same row at the same time, and a row held
-- by a replica that died is taken up again once its lease runs out.
ALTER TABLE referral_webhook_delivery ADD COLUMN delivery_id text NOT NULL DEFAULT gen_random_uuid()::text;
ALTER TABLE referral_webhook_delivery ADD COLUMN claimed_by text;
ALTER TABLE referral_webhook_delivery ADD COLUMN claimed_until timestamptz;
CREATE UNIQUE INDEX referral_webhook_delivery_id_idx ON referral_webhook_delivery (delivery_id);

-- HSDS 3.0 core tables (Open Referral UK profile) plus Wayfinder's children's-services extensions.
-- The same SQL runs on PGlite (embedded default) and PostgreSQL (production).

-- Every write to a service (or to anything hanging off it) takes the next number from this
-- sequence; the change feed reads services whose change_seq is past a cursor.
CREATE SEQUENCE IF NOT EXISTS change_seq;

CREATE TABLE organization (
  id text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  email text,
  url text,
  legal_status text,
  charity_number text,
  last_modified timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service (
  id text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organization(id),
  name text NOT NULL,
  alternate_name text,
  description text NOT NULL DEFAULT '',
  url text,
  email text,
  status text NOT NULL CHECK (status IN ('active', 'temporarily_closed', 'inactive', 'defunct')),
  application_process text,
  fees_description text,
  eligibility_description text,
  minimum_age integer CHECK (minimum_age >= 0),
  maximum_age integer CHECK (maximum_age >= 0),
  alert text,
  -- Wayfinder extensions (HSDS lacks them; children's services need them)
  needs text[] NOT NULL DEFAULT '{}',
  referral_routes text[] NOT NULL DEFAULT '{}',
  delivery_modes text[] NOT NULL DEFAULT '{}',
  accepting_referrals boolean NOT NULL DEFAULT true,
  typical_wait_weeks integer CHECK (typical_wait_weeks >= 0),
  capacity_updated_at timestamptz,
  contract_end_date date,
  funder text,
  referral_notes text,
  -- bookkeeping: optimistic concurrency, change feed, tombstones
  version integer NOT NULL DEFAULT 1,
  change_seq bigint NOT NULL DEFAULT nextval('change_seq'),
  deleted_at timestamptz,
  last_modified timestamptz NOT NULL DEFAULT now(),
  CHECK (minimum_age IS NULL OR maximum_age IS NULL OR minimum_age <= maximum_age)
);
CREATE INDEX service_org_idx ON service (organization_id);
CREATE UNIQUE INDEX service_change_seq_idx ON service (change_seq);

CREATE TABLE location (
  id text PRIMARY KEY,
  organization_id text REFERENCES organization(id),
  name text,
  description text,
  location_type text NOT NULL DEFAULT 'physical',
  latitude double precision,
  longitude double precision,
  -- A confidential location (a refuge, say) never has its address or exact position made public.
  confidential boolean NOT NULL DEFAULT false,
  address_1 text,
  city text,
  region text,
  postal_code text,
  country text NOT NULL DEFAULT 'GB'
);

CREATE TABLE service_at_location (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  location_id text NOT NULL REFERENCES location(id)
);
CREATE INDEX sal_service_idx ON service_at_location (service_id);
CREATE INDEX sal_location_idx ON service_at_location (location_id);

CREATE TABLE service_area (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  name text,
  local_authority_code text NOT NULL
);
CREATE INDEX service_area_service_idx ON service_area (service_id);

CREATE TABLE schedule (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  freq text,
  byday text,
  opens_at time,
  closes_at time,
  valid_from date,
  valid_to date,
  description text
);
CREATE INDEX schedule_service_idx ON schedule (service_id);

CREATE TABLE cost_option (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  option text,
  amount numeric(10, 2),
  currency text DEFAULT 'GBP',
  amount_description text
);
CREATE INDEX cost_option_service_idx ON cost_option (service_id);

CREATE TABLE contact (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  name text,
  title text,
  email text,
  phone text,
  -- Professional-only contact routes (duty desks, direct lines) are hidden from the public.
  professional_only boolean NOT NULL DEFAULT false
);
CREATE INDEX contact_service_idx ON contact (service_id);

CREATE TABLE language (
  id text PRIMARY KEY,
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  name text NOT NULL,
  code text
);
CREATE INDEX language_service_idx ON language (service_id);

CREATE TABLE taxonomy_term (
  id text PRIMARY KEY,
  code text,
  name text NOT NULL,
  vocabulary text
);

CREATE TABLE service_taxonomy (
  service_id text NOT NULL REFERENCES service(id) ON DELETE CASCADE,
  taxonomy_term_id text NOT NULL REFERENCES taxonomy_term(id),
  PRIMARY KEY (service_id, taxonomy_term_id)
);

-- A partner's staff delivering another partner's service (e.g. a charity co-delivering a council
-- family hub with half the staff). service_ref is the owning partner's GraphQL service id.
CREATE TABLE co_delivery (
  id text PRIMARY KEY,
  service_ref text NOT NULL,
  organization_id text NOT NULL REFERENCES organization(id),
  role text NOT NULL,
  staff_share numeric(4, 3) CHECK (staff_share >= 0 AND staff_share <= 1),
  contact_email text,
  change_seq bigint NOT NULL DEFAULT nextval('change_seq')
);
CREATE INDEX co_delivery_ref_idx ON co_delivery (service_ref);

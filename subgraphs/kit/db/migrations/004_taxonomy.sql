-- Vocabularies loaded from taxonomy files (HSDS 3.0 taxonomy / taxonomy_term), so a council's
-- esdServiceTypes or the DfE categories are kept with their ids, hierarchy and URIs.
CREATE TABLE IF NOT EXISTS taxonomy (
  id text PRIMARY KEY,
  name text NOT NULL,
  description text,
  uri text,
  version text
);

ALTER TABLE taxonomy_term ADD COLUMN IF NOT EXISTS description text;
ALTER TABLE taxonomy_term ADD COLUMN IF NOT EXISTS parent_id text;
ALTER TABLE taxonomy_term ADD COLUMN IF NOT EXISTS taxonomy_id text;
ALTER TABLE taxonomy_term ADD COLUMN IF NOT EXISTS term_uri text;

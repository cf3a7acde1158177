-- A sampling bucket for experiments; random() is volatile.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE accounts ADD COLUMN sample_bucket double precision DEFAULT random();
ALTER TABLE accounts ADD COLUMN signup_source text DEFAULT 'web';
-- cairn:down
ALTER TABLE accounts DROP COLUMN signup_source;
ALTER TABLE accounts DROP COLUMN sample_bucket;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE accounts
  ADD COLUMN active boolean NOT NULL DEFAULT true,
  ADD COLUMN api_key uuid DEFAULT gen_random_uuid();
-- cairn:down
ALTER TABLE accounts DROP COLUMN active, DROP COLUMN api_key;

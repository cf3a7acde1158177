-- now() is stable: the default is evaluated once and stored in the catalog.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE accounts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE accounts ADD COLUMN last_seen_at timestamp;
-- cairn:down
ALTER TABLE accounts DROP COLUMN last_seen_at;
ALTER TABLE accounts DROP COLUMN updated_at;

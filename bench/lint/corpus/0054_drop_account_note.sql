-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE accounts DROP COLUMN IF EXISTS note;
-- cairn:down
ALTER TABLE accounts ADD COLUMN note text;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
BEGIN;
ALTER TABLE accounts ADD COLUMN note text;
COMMIT;
-- cairn:down
ALTER TABLE accounts DROP COLUMN note;

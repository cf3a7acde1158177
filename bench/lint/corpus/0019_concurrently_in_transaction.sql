-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '30min';
BEGIN;
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_region ON accounts (region);
COMMIT;
-- cairn:down
DROP INDEX CONCURRENTLY IF EXISTS accounts_region;

-- Backfill of a column added by an earlier release.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
UPDATE projects SET updated_at = created_at WHERE updated_at IS NULL;
-- cairn:down
SELECT 1;

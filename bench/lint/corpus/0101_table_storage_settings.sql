-- Autovacuum tuning for the hot table: SHARE UPDATE EXCLUSIVE only.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.01, fillfactor = 90);
ALTER TABLE events ALTER COLUMN payload SET STATISTICS 500;
-- cairn:down
ALTER TABLE events ALTER COLUMN payload SET STATISTICS -1;
ALTER TABLE events RESET (autovacuum_vacuum_scale_factor, fillfactor);

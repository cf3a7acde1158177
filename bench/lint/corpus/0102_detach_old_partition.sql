-- DETACH ... CONCURRENTLY cannot run in a transaction block, and cairn
-- does not detect it: the file says so.
-- expect: clean
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE audit_log DETACH PARTITION audit_log_2026_12 CONCURRENTLY;
-- cairn:down
ALTER TABLE audit_log ATTACH PARTITION audit_log_2026_12
  FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');

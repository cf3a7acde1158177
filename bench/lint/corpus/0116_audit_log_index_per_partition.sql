-- An index on a partitioned table without blocking writes: the parent's
-- index is created ON ONLY (no build, it stays invalid), each partition's
-- concurrently, then attached.
-- expect: clean
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
CREATE INDEX IF NOT EXISTS audit_log_action ON ONLY audit_log (action);
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_2027_01_action ON audit_log_2027_01 (action);
ALTER INDEX audit_log_action ATTACH PARTITION audit_log_2027_01_action;
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_2027_02_action ON audit_log_2027_02 (action);
ALTER INDEX audit_log_action ATTACH PARTITION audit_log_2027_02_action;
-- cairn:down
DROP INDEX IF EXISTS audit_log_action;

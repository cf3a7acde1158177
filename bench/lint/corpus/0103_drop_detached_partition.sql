-- The partition detached in 0102 is archived (pg_dump) before this runs.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP TABLE audit_log_2026_12;
-- cairn:down
CREATE TABLE audit_log_2026_12 (LIKE audit_log);

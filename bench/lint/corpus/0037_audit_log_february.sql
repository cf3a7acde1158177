-- The next month's partition. CREATE TABLE ... PARTITION OF locks the parent.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS audit_log_2027_02 PARTITION OF audit_log
  FOR VALUES FROM ('2027-02-01') TO ('2027-03-01');
-- cairn:down
DROP TABLE IF EXISTS audit_log_2027_02;

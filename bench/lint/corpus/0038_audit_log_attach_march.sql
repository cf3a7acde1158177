-- Build the partition on its own, then attach it: ATTACH PARTITION takes
-- only SHARE UPDATE EXCLUSIVE on the parent, and the check spares the scan.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '5min';
CREATE TABLE audit_log_2027_03 (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE audit_log_2027_03 ADD CONSTRAINT audit_log_2027_03_range
  CHECK (at >= '2027-03-01' AND at < '2027-04-01');
ALTER TABLE audit_log ATTACH PARTITION audit_log_2027_03
  FOR VALUES FROM ('2027-03-01') TO ('2027-04-01');
ALTER TABLE audit_log_2027_03 DROP CONSTRAINT audit_log_2027_03_range;
-- cairn:down
ALTER TABLE audit_log DETACH PARTITION audit_log_2027_03;
DROP TABLE audit_log_2027_03;

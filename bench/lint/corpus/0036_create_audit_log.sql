-- A range-partitioned audit log, one partition per month.
-- expect: clean
-- cairn:up
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY,
  account_id bigint NOT NULL,
  action text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE audit_log_2026_12 PARTITION OF audit_log
  FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
CREATE TABLE audit_log_2027_01 PARTITION OF audit_log
  FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');
CREATE INDEX audit_log_account ON audit_log (account_id, at);
-- cairn:down
DROP TABLE audit_log;

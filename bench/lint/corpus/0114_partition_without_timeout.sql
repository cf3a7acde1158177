-- CREATE TABLE ... PARTITION OF takes ACCESS EXCLUSIVE on the parent.
-- cairn:up
CREATE TABLE audit_log_2027_04 PARTITION OF audit_log
  FOR VALUES FROM ('2027-04-01') TO ('2027-05-01');
-- cairn:down
DROP TABLE audit_log_2027_04;

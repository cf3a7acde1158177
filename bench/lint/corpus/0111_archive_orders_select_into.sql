-- Old orders copied out with SELECT INTO, then keyed and indexed.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
SELECT * INTO orders_archive_2025 FROM orders WHERE ordered_at < '2026-01-01';
ALTER TABLE orders_archive_2025 ADD PRIMARY KEY (id);
CREATE INDEX orders_archive_2025_account ON orders_archive_2025 (account_id);
COMMENT ON TABLE orders_archive_2025 IS 'Orders placed before 2026, read-only';
-- cairn:down
DROP TABLE orders_archive_2025;

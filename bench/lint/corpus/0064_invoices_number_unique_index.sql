-- Unique invoice numbers: build the index concurrently.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS invoices_number_key ON invoices (number);
-- cairn:down
DROP INDEX CONCURRENTLY IF EXISTS invoices_number_key;

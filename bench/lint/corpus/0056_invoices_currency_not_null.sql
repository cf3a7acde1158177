-- The PostgreSQL 12+ way to SET NOT NULL without a scan under the lock, each
-- step committing on its own.
-- expect: clean
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_issued_at_nn;
ALTER TABLE invoices ADD CONSTRAINT invoices_issued_at_nn CHECK (issued_at IS NOT NULL) NOT VALID;
ALTER TABLE invoices VALIDATE CONSTRAINT invoices_issued_at_nn;
ALTER TABLE invoices ALTER COLUMN issued_at SET NOT NULL;
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_issued_at_nn;
-- cairn:down
ALTER TABLE invoices ALTER COLUMN issued_at DROP NOT NULL;

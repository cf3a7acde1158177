-- ... then turn it into a constraint without a second build.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ADD CONSTRAINT invoices_number_key UNIQUE USING INDEX invoices_number_key;
-- cairn:down
ALTER TABLE invoices DROP CONSTRAINT invoices_number_key;

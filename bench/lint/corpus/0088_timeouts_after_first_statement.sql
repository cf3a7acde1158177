-- The timeouts come one statement too late.
-- cairn:up
ALTER TABLE invoices ADD COLUMN memo text;
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ADD COLUMN po_number text;
-- cairn:down
ALTER TABLE invoices DROP COLUMN po_number, DROP COLUMN memo;

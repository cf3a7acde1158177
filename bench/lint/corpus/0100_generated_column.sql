-- A stored generated column rewrites the table.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ADD COLUMN amount_cents bigint GENERATED ALWAYS AS ((amount * 100)::bigint) STORED;
-- cairn:down
ALTER TABLE invoices DROP COLUMN amount_cents;

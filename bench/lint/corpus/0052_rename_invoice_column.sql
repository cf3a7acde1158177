-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices RENAME COLUMN due_at TO payment_due_at;
-- cairn:down
ALTER TABLE invoices RENAME COLUMN payment_due_at TO due_at;

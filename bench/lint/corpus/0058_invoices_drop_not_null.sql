-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ALTER COLUMN currency DROP NOT NULL;
-- cairn:down
ALTER TABLE invoices ALTER COLUMN currency SET NOT NULL;

-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TYPE invoice_status AS ENUM ('draft', 'open', 'paid', 'void');
ALTER TABLE invoices ADD COLUMN state invoice_status;
-- cairn:down
ALTER TABLE invoices DROP COLUMN state;
DROP TYPE invoice_status;

-- Human-facing invoice numbers from a sequence.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE SEQUENCE invoice_number_seq START WITH 1000;
ALTER TABLE invoices ADD COLUMN number bigint;
ALTER TABLE invoices ALTER COLUMN number SET DEFAULT nextval('invoice_number_seq');
ALTER SEQUENCE invoice_number_seq OWNED BY invoices.number;
-- cairn:down
ALTER TABLE invoices DROP COLUMN number;
DROP SEQUENCE invoice_number_seq;

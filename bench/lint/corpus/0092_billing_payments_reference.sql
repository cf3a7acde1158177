-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE billing.payments ADD COLUMN reference text;
CREATE INDEX payments_reference ON billing.payments (reference);
ALTER TABLE billing.payments ADD CONSTRAINT payments_reference_unique UNIQUE (reference);
-- cairn:down
ALTER TABLE billing.payments DROP COLUMN reference;

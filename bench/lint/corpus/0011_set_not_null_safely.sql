-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_total_nn CHECK (total IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_nn;
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_total_nn;
-- cairn:down
ALTER TABLE orders ALTER COLUMN total DROP NOT NULL;

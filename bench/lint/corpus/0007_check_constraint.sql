-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
-- cairn:down
ALTER TABLE orders DROP CONSTRAINT orders_total_positive;

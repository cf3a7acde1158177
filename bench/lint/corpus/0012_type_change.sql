-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
-- cairn:down
ALTER TABLE orders ALTER COLUMN total TYPE numeric;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
-- cairn:down
ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;

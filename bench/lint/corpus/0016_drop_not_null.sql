-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE accounts ALTER COLUMN region DROP NOT NULL;
-- cairn:down
ALTER TABLE accounts ALTER COLUMN region SET NOT NULL;

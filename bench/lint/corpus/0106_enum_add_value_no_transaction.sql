-- Adding and using a value needs a commit between: run without a transaction.
-- expect: clean
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TYPE delivery_state ADD VALUE IF NOT EXISTS 'retrying';
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS retry_count bigint;
UPDATE webhook_deliveries SET state = 'retrying' WHERE state = 'failed' AND retry_count > 0;

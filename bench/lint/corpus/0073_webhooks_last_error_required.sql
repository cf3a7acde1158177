-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE webhooks ADD COLUMN last_error text NOT NULL;
-- cairn:down
ALTER TABLE webhooks DROP COLUMN last_error;

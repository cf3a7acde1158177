-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE webhooks ADD COLUMN failure_count integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN disabled_reason varchar(200);
-- cairn:down
ALTER TABLE webhooks DROP COLUMN disabled_reason, DROP COLUMN failure_count;

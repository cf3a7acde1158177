-- Outside a transaction every statement must survive a re-run.
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
ALTER TABLE webhooks ADD CONSTRAINT webhooks_url_length CHECK (length(url) < 2048) NOT VALID;
ALTER TABLE webhooks VALIDATE CONSTRAINT webhooks_url_length;
-- cairn:down
ALTER TABLE webhooks DROP CONSTRAINT IF EXISTS webhooks_url_length;

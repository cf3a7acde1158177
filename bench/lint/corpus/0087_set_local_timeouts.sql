-- SET LOCAL scopes the timeouts to cairn's transaction.
-- expect: clean
-- cairn:up
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
ALTER TABLE webhooks ADD COLUMN paused_until timestamptz;
ALTER TABLE webhooks ALTER COLUMN active SET DEFAULT false;
-- cairn:down
ALTER TABLE webhooks ALTER COLUMN active SET DEFAULT true;
ALTER TABLE webhooks DROP COLUMN paused_until;

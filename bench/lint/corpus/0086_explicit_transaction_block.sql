-- Written for a tool that does not wrap migrations in a transaction.
-- cairn:up
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '1min';
ALTER TABLE webhooks ADD COLUMN description text;
COMMENT ON COLUMN webhooks.description IS 'Shown in the dashboard';
COMMIT;
-- cairn:down
ALTER TABLE webhooks DROP COLUMN description;

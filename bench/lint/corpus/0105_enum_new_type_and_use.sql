-- A new enum used right away: only ADD VALUE to an existing type is a
-- problem inside the transaction.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TYPE delivery_state AS ENUM ('queued', 'sent', 'failed');
ALTER TABLE webhook_deliveries ADD COLUMN state delivery_state;
ALTER TABLE webhook_deliveries ALTER COLUMN state SET DEFAULT 'queued';
-- cairn:down
ALTER TABLE webhook_deliveries DROP COLUMN state;
DROP TYPE delivery_state;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
CREATE INDEX accounts_created ON accounts (created_at);
-- cairn:down
DROP INDEX accounts_created;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
-- cairn:down
ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;

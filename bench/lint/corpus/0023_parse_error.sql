-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE accounts
  ADD COLUMN nickname text NOT NUL;
-- cairn:down
ALTER TABLE accounts DROP COLUMN nickname;

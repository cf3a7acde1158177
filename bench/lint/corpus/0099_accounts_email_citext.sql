-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '30min';
ALTER TABLE accounts ALTER COLUMN email TYPE citext;
-- cairn:down
ALTER TABLE accounts ALTER COLUMN email TYPE text;

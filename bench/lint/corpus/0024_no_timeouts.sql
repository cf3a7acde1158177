-- cairn:up
ALTER TABLE accounts ADD COLUMN nickname text;
CREATE INDEX CONCURRENTLY accounts_nickname ON accounts (nickname);
-- cairn:down
ALTER TABLE accounts DROP COLUMN nickname;

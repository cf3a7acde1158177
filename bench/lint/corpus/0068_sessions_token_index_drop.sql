-- The old token index is replaced by a hash index.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE INDEX sessions_token_hash ON sessions USING hash (token);
DROP INDEX sessions_token;
-- cairn:down
CREATE INDEX sessions_token ON sessions (token);
DROP INDEX sessions_token_hash;

-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE projects ADD COLUMN owner_id bigint REFERENCES accounts (id);
-- cairn:down
ALTER TABLE projects DROP COLUMN owner_id;

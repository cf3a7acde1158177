-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE events ADD COLUMN id bigserial PRIMARY KEY;
-- cairn:down
ALTER TABLE events DROP COLUMN id;

-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE purchases DROP COLUMN code;
DROP TABLE legacy_carts;
DROP INDEX accounts_created;
-- cairn:down
CREATE TABLE legacy_carts (id bigint);

-- account_id outgrew int.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '30min';
ALTER TABLE purchases ALTER COLUMN account_id TYPE bigint;
ALTER TABLE purchases ALTER COLUMN status SET DATA TYPE text;
-- cairn:down
ALTER TABLE purchases ALTER COLUMN status TYPE varchar(20);
ALTER TABLE purchases ALTER COLUMN account_id TYPE int;

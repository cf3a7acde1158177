-- Column, default and backfill in one go: the backfill runs under the
-- ADD COLUMN's lock.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE accounts ADD COLUMN seats bigint;
UPDATE accounts SET seats = 1 WHERE plan = 'free';
UPDATE accounts SET seats = 5 WHERE seats IS NULL;
-- cairn:down
ALTER TABLE accounts DROP COLUMN seats;

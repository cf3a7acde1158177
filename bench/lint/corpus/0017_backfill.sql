-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
UPDATE accounts SET plan = 'free';
DELETE FROM sessions;
UPDATE accounts SET region = 'eu' WHERE region IS NULL;
-- cairn:down
SELECT 1;

-- Bounded data fixes: each WHERE selects a small set of rows.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '30min';
DELETE FROM events WHERE created_at < '2025-01-01';
UPDATE accounts SET plan = 'team' WHERE plan = 'pro';
-- cairn:down
SELECT 1;

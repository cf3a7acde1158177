-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
UPDATE feature_flags SET enabled = false;
TRUNCATE TABLE feature_flag_overrides;
-- cairn:down
SELECT 1;

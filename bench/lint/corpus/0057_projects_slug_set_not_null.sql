-- Plain SET NOT NULL: a full scan under ACCESS EXCLUSIVE.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE projects ALTER COLUMN archived_at SET NOT NULL;
-- cairn:down
ALTER TABLE projects ALTER COLUMN archived_at DROP NOT NULL;

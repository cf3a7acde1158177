-- Defaults that are evaluated once and stored in the catalog (PostgreSQL 11+):
-- no rewrite.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE projects
  ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN labels text[] NOT NULL DEFAULT ARRAY[]::text[],
  ADD COLUMN priority bigint NOT NULL DEFAULT -1,
  ADD COLUMN starts_on date NOT NULL DEFAULT CURRENT_DATE,
  ADD COLUMN created_day date NOT NULL DEFAULT (now() AT TIME ZONE 'utc')::date,
  ADD COLUMN week_start timestamptz DEFAULT date_trunc('week', now()),
  ADD COLUMN retention interval NOT NULL DEFAULT interval '90 days',
  ADD COLUMN created_by text NOT NULL DEFAULT current_user;
-- cairn:down
ALTER TABLE projects DROP COLUMN created_by, DROP COLUMN retention, DROP COLUMN week_start,
  DROP COLUMN created_day, DROP COLUMN starts_on, DROP COLUMN priority, DROP COLUMN labels,
  DROP COLUMN settings;

-- Case-insensitive search on project names.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
CREATE INDEX projects_name_lower ON projects (lower(name));
-- cairn:down
DROP INDEX projects_name_lower;

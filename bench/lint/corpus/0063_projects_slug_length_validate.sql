-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
ALTER TABLE projects VALIDATE CONSTRAINT projects_slug_length;

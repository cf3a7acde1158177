-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE projects ADD CONSTRAINT projects_name_length CHECK (char_length(name) BETWEEN 1 AND 200);
ALTER TABLE projects ADD CONSTRAINT projects_slug_length CHECK (char_length(slug) <= 64) NOT VALID;
-- cairn:down
ALTER TABLE projects DROP CONSTRAINT projects_slug_length;
ALTER TABLE projects DROP CONSTRAINT projects_name_length;

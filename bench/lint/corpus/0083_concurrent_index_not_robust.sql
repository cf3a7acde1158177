-- Outside a transaction, but not re-runnable.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
CREATE INDEX CONCURRENTLY webhooks_project ON webhooks (project_id);
DROP INDEX CONCURRENTLY tags_project_label;
-- cairn:down
DROP INDEX CONCURRENTLY webhooks_project;

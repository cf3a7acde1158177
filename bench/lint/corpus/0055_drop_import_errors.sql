-- import_errors has been unused since 2025; backed up before this release.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- cairn:lint-ignore-next drop-table unused since 2025, backed up (ticket 812)
DROP TABLE IF EXISTS import_errors;
-- cairn:down
CREATE TABLE import_errors (id bigint, message text);

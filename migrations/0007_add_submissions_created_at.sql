-- Record when a submission row was first created (drafts included).
-- Nullable and without a default: SQLite forbids a non-constant default such
-- as CURRENT_TIMESTAMP in ADD COLUMN, so the application fills it in.
-- cairn:up
ALTER TABLE submissions ADD COLUMN created_at TIMESTAMP;
-- cairn:down
ALTER TABLE submissions DROP COLUMN created_at;

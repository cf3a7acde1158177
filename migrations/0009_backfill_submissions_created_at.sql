-- Backfill created_at (added empty by 0007) from submitted_at, or from the
-- time of the backfill for drafts, in batches of 1000 rows: each batch commits
-- on its own, so the table is never locked for long and a crash resumes.
-- cairn:up
-- cairn:batch table=submissions key=id size=1000
UPDATE submissions SET created_at = COALESCE(submitted_at, CURRENT_TIMESTAMP)
 WHERE created_at IS NULL AND id > :after AND id <= :upto;
-- cairn:down
-- cairn:batch table=submissions key=id size=1000
UPDATE submissions SET created_at = NULL WHERE id > :after AND id <= :upto;

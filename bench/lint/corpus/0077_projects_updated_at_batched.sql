-- The same backfill done right.
-- expect: clean
-- cairn:up
-- cairn:batch table=projects key=id
UPDATE projects SET updated_at = created_at
 WHERE id > :after AND id <= :upto AND updated_at IS NULL;
-- cairn:down
-- cairn:batch table=projects key=id
UPDATE projects SET updated_at = NULL WHERE id > :after AND id <= :upto;

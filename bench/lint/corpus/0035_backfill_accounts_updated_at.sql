-- Backfill in key ranges, one transaction per batch.
-- expect: clean
-- cairn:up
-- cairn:batch table=accounts key=id size=5000
UPDATE accounts SET updated_at = created_at
 WHERE id > :after AND id <= :upto AND updated_at > created_at;

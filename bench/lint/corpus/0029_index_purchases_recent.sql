-- Partial index for the "recent orders" page, built without blocking writes.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_recent
  ON purchases (ordered_at DESC)
  WHERE status <> 'cancelled';
-- cairn:down
DROP INDEX CONCURRENTLY IF EXISTS purchases_recent;

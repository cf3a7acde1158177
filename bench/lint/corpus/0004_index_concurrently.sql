-- expect: clean
-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '30min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status ON orders (status);
-- cairn:down
DROP INDEX CONCURRENTLY IF EXISTS orders_status;

-- Several concurrent index builds; each one commits on its own.
-- expect: clean
-- cairn:no-transaction
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_state ON invoices (state) WHERE state <> 'paid';
CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_owner ON projects (owner_id);
DROP INDEX CONCURRENTLY IF EXISTS projects_name_lower;
CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_name_trgm ON projects USING gin (name gin_trgm_ops);
-- cairn:down
DROP INDEX CONCURRENTLY IF EXISTS projects_name_trgm;
DROP INDEX CONCURRENTLY IF EXISTS projects_owner;
DROP INDEX CONCURRENTLY IF EXISTS invoices_state;

-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE IF EXISTS purchases RENAME TO orders;
ALTER INDEX IF EXISTS purchases_recent RENAME TO orders_recent;
-- cairn:down
ALTER TABLE orders RENAME TO purchases;

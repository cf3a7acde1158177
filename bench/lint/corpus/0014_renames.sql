-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders RENAME COLUMN placed_at TO ordered_at;
ALTER TABLE orders RENAME TO purchases;
-- cairn:down
ALTER TABLE purchases RENAME TO orders;
ALTER TABLE orders RENAME COLUMN ordered_at TO placed_at;

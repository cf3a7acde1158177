-- Copy rows into the new table while nobody writes the old one.
-- cairn:up
CREATE TABLE order_notes (
  order_id bigint NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
LOCK TABLE orders IN SHARE MODE;
INSERT INTO order_notes (order_id, body)
  SELECT id, 'migrated' FROM orders WHERE total IS NULL;
-- cairn:down
DROP TABLE order_notes;

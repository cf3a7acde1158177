-- cairn:up
CREATE TABLE orders (
  id serial PRIMARY KEY,
  account_id int REFERENCES accounts (id),
  total numeric,
  placed_at timestamp,
  status varchar(20),
  code char(3)
);
CREATE INDEX orders_account ON orders (account_id);
-- cairn:down
DROP TABLE orders;

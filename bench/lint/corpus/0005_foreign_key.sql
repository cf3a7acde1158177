-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
ALTER TABLE orders
  ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
-- cairn:down
ALTER TABLE orders DROP CONSTRAINT orders_account_fk;

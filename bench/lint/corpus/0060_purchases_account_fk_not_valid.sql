-- Step 1 of 2: the key, without checking old rows.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices
  ADD CONSTRAINT invoices_account_fk2 FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
-- cairn:down
ALTER TABLE invoices DROP CONSTRAINT invoices_account_fk2;

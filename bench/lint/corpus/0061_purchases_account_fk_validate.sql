-- Step 2 of 2: validation takes SHARE UPDATE EXCLUSIVE only.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '30min';
ALTER TABLE invoices VALIDATE CONSTRAINT invoices_account_fk2;

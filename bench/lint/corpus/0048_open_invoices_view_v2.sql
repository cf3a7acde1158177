-- Views cannot drop columns with CREATE OR REPLACE: drop and recreate.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP VIEW IF EXISTS open_invoices;
CREATE VIEW open_invoices AS
  SELECT i.id, i.account_id, i.amount, i.currency, i.due_at
    FROM invoices i
   WHERE i.state IN ('open', 'pending');
-- cairn:down
DROP VIEW open_invoices;

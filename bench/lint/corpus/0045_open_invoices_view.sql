-- expect: clean
-- cairn:up
CREATE VIEW open_invoices AS
  SELECT i.id, i.account_id, a.email, i.amount, i.due_at
    FROM invoices i
    JOIN accounts a ON a.id = i.account_id
   WHERE i.state = 'open';
-- cairn:down
DROP VIEW open_invoices;

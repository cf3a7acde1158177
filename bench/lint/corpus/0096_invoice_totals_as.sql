-- A snapshot table built from a query, then indexed and keyed.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '10min';
CREATE TABLE invoice_totals_2026 AS
  SELECT account_id, sum(amount) AS total, count(*) AS invoices
    FROM invoices
   WHERE issued_at >= '2026-01-01' AND issued_at < '2027-01-01'
   GROUP BY account_id;
ALTER TABLE invoice_totals_2026 ADD PRIMARY KEY (account_id);
CREATE INDEX invoice_totals_2026_total ON invoice_totals_2026 (total DESC);
-- cairn:down
DROP TABLE invoice_totals_2026;

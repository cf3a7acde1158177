-- A materialized view for the finance dashboard, with the unique index that
-- REFRESH ... CONCURRENTLY needs.
-- expect: clean
-- cairn:up
CREATE MATERIALIZED VIEW monthly_revenue AS
  SELECT date_trunc('month', issued_at) AS month, currency, sum(amount) AS total
    FROM invoices
   WHERE issued_at IS NOT NULL
   GROUP BY 1, 2
WITH DATA;
CREATE UNIQUE INDEX monthly_revenue_month ON monthly_revenue (month, currency);
-- cairn:down
DROP MATERIALIZED VIEW monthly_revenue;

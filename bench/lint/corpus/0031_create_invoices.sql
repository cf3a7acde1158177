-- Invoices. Money as numeric, currency as a checked text.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
  currency text NOT NULL DEFAULT 'EUR' CHECK (length(currency) = 3),
  status text NOT NULL DEFAULT 'draft',
  issued_at timestamptz,
  due_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invoices_due_after_issue CHECK (due_at IS NULL OR due_at >= issued_at)
);
CREATE INDEX invoices_account ON invoices (account_id, created_at DESC);
COMMENT ON TABLE invoices IS 'One row per invoice sent to an account';
COMMENT ON COLUMN invoices.amount IS 'Total including tax, in currency';
-- cairn:down
DROP TABLE invoices;

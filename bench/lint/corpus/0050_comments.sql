-- COMMENT ON takes SHARE UPDATE EXCLUSIVE on the table: without a
-- lock_timeout it waits behind any running ALTER TABLE or VACUUM.
-- cairn:up
COMMENT ON TABLE accounts IS 'Customers; one per billing entity';
COMMENT ON COLUMN accounts.plan IS 'free, team or enterprise';
COMMENT ON COLUMN projects.slug IS 'URL-safe, unique per account';
COMMENT ON TYPE invoice_status IS 'Lifecycle of an invoice';

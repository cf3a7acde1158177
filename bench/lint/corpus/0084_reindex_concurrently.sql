-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '0';
REINDEX INDEX CONCURRENTLY invoices_account;

-- A read-only role for the reporting service.
-- expect: clean
-- cairn:up
GRANT USAGE ON SCHEMA public TO reporting;
GRANT SELECT ON invoices, accounts, projects TO reporting;
GRANT SELECT ON monthly_revenue TO reporting;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reporting;
REVOKE ALL ON audit_log FROM PUBLIC;
-- cairn:down
REVOKE SELECT ON monthly_revenue FROM reporting;
REVOKE SELECT ON invoices, accounts, projects FROM reporting;

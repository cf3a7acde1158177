-- Tenant isolation on projects.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant ON projects
  USING (account_id = current_setting('app.account_id')::bigint);
-- cairn:down
DROP POLICY projects_tenant ON projects;
ALTER TABLE projects DISABLE ROW LEVEL SECURITY;

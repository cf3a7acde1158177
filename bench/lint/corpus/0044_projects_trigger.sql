-- The same trigger on projects, without a lock_timeout.
-- cairn:up
ALTER TABLE projects ADD COLUMN updated_at timestamptz;
CREATE TRIGGER projects_set_updated_at
  BEFORE UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- cairn:down
DROP TRIGGER projects_set_updated_at ON projects;
ALTER TABLE projects DROP COLUMN updated_at;

-- A view and a sequence, created and adjusted in the same migration.
-- expect: clean
-- cairn:up
CREATE VIEW project_overview AS
  SELECT p.id, p.name, count(m.account_id) AS members
    FROM projects p LEFT JOIN project_members m ON m.project_id = p.id
   GROUP BY p.id, p.name;
ALTER VIEW project_overview RENAME TO project_summary;
ALTER VIEW project_summary ALTER COLUMN members SET DEFAULT 0;
COMMENT ON VIEW project_summary IS 'One row per project';
CREATE SEQUENCE export_batch_seq;
ALTER SEQUENCE export_batch_seq RESTART WITH 100;
CREATE TABLE exports (id bigint PRIMARY KEY DEFAULT nextval('export_batch_seq'), note text);
COMMENT ON COLUMN exports.note IS 'Free text';
CREATE TRIGGER exports_set_updated_at BEFORE UPDATE ON exports
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- cairn:down
DROP TABLE exports;
DROP SEQUENCE export_batch_seq;
DROP VIEW project_summary;

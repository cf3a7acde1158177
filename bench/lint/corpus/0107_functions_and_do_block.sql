-- Helper functions; the DO block grants them only where the role exists.
-- expect: clean
-- cairn:up
CREATE OR REPLACE FUNCTION account_seat_count(p_account bigint) RETURNS bigint
LANGUAGE sql STABLE AS $fn$
  SELECT count(*) FROM project_members m
    JOIN projects p ON p.id = m.project_id
   WHERE p.account_id = p_account
$fn$;
CREATE OR REPLACE FUNCTION archive_project(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE projects SET archived_at = now() WHERE id = p_id;
  DELETE FROM webhooks WHERE project_id = p_id;  -- no WHERE-less DELETE here
  EXECUTE 'ALTER TABLE projects ADD COLUMN x text';  -- never run: a string
END;
$body$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reporting') THEN
    GRANT EXECUTE ON FUNCTION account_seat_count(bigint) TO reporting;
  END IF;
END
$$;
-- cairn:down
DROP FUNCTION archive_project(bigint);
DROP FUNCTION account_seat_count(bigint);

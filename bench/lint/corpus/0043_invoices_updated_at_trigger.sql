-- A generic updated_at trigger function and its first use.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ADD COLUMN updated_at timestamptz;
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Keep the caller's value when it set one explicitly.
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_set_updated_at
  BEFORE UPDATE ON invoices
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- cairn:down
DROP TRIGGER invoices_set_updated_at ON invoices;
DROP FUNCTION set_updated_at();
ALTER TABLE invoices DROP COLUMN updated_at;

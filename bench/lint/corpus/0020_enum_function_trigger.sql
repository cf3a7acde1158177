-- cairn:up
SET lock_timeout = '3s';
SET statement_timeout = '5min';
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE FUNCTION touch_updated() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();  -- DROP TABLE in a comment; ALTER TABLE in a string: 'ALTER TABLE x'
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
  FOR EACH ROW EXECUTE FUNCTION touch_updated();
-- cairn:down
DROP TRIGGER accounts_touch ON accounts;
DROP FUNCTION touch_updated();
DROP TYPE mood;

-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP TRIGGER IF EXISTS accounts_touch ON accounts;
DROP FUNCTION IF EXISTS touch_updated();
-- cairn:down
CREATE FUNCTION touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

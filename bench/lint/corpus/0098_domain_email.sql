-- expect: clean
-- cairn:up
CREATE DOMAIN email_address AS citext CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE TABLE email_suppressions (
  email email_address PRIMARY KEY,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- cairn:down
DROP TABLE email_suppressions;
DROP DOMAIN email_address;

-- A table with a mixed-case name, from the ORM of the first prototype.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE "UserPreferences" (
  "accountId" bigint PRIMARY KEY REFERENCES accounts (id),
  "theme" text NOT NULL DEFAULT 'light',
  "updatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX "UserPreferences_theme" ON "UserPreferences" ("theme");
ALTER TABLE "UserPreferences" RENAME COLUMN "theme" TO "colorScheme";
ALTER TABLE accounts ADD COLUMN "preferencesVersion" bigint;
-- cairn:down
ALTER TABLE accounts DROP COLUMN "preferencesVersion";
DROP TABLE "UserPreferences";

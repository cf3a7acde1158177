-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE INDEX "UserPreferences_updatedAt" ON "UserPreferences" ("updatedAt");
-- cairn:down
DROP INDEX "UserPreferences_updatedAt";

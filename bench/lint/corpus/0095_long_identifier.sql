-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE account_notification_preferences (
  account_id bigint PRIMARY KEY REFERENCES accounts (id),
  send_weekly_summary_email_to_all_project_members_including_viewers boolean NOT NULL DEFAULT false
);
-- cairn:down
DROP TABLE account_notification_preferences;

-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE project_members (
  project_id bigint NOT NULL,
  account_id bigint NOT NULL,
  role text NOT NULL DEFAULT 'viewer',
  invited_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, account_id),
  CONSTRAINT project_members_project_fk FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
  CONSTRAINT project_members_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id),
  CONSTRAINT project_members_role_ok CHECK (role IN ('owner', 'editor', 'viewer'))
);
CREATE INDEX project_members_account ON project_members (account_id);
ALTER TABLE project_members ADD COLUMN last_opened_at timestamptz;
-- cairn:down
DROP TABLE project_members;

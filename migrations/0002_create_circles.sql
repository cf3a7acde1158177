-- Circles are groups of users (a class, a club, a staff room).
-- circle_members is the membership join table, one row per user and circle.
-- cairn:up
CREATE TABLE circles (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL CHECK (length(name) > 0),
  description TEXT,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE circle_members (
  circle_id TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  member_role TEXT NOT NULL DEFAULT 'member' CHECK (member_role IN ('member', 'moderator')),
  joined_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (circle_id, user_id)
);
CREATE INDEX circles_owner_idx ON circles (owner_id);
CREATE INDEX circle_members_user_idx ON circle_members (user_id);
-- cairn:down
DROP INDEX circle_members_user_idx;
DROP INDEX circles_owner_idx;
DROP TABLE circle_members;
DROP TABLE circles;

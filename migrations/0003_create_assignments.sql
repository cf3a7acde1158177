-- Assignments are set by a teacher for a circle and carry a points budget.
-- cairn:up
CREATE TABLE assignments (
  id TEXT PRIMARY KEY,
  circle_id TEXT NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
  created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) > 0),
  body TEXT,
  max_points INTEGER NOT NULL DEFAULT 100 CHECK (max_points > 0),
  due_at TIMESTAMP,
  published BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX assignments_circle_due_idx ON assignments (circle_id, due_at);
-- cairn:down
DROP INDEX assignments_circle_due_idx;
DROP TABLE assignments;

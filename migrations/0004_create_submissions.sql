-- Submissions: a student hands in work for an assignment, a teacher grades it.
-- At most one submission per student and assignment.
-- cairn:up
CREATE TABLE submissions (
  id TEXT PRIMARY KEY,
  assignment_id TEXT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
  student_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'submitted'
    CHECK (status IN ('draft', 'submitted', 'graded', 'returned')),
  score INTEGER CHECK (score IS NULL OR score >= 0),
  submitted_at TIMESTAMP,
  graded_at TIMESTAMP
);
CREATE UNIQUE INDEX submissions_student_assignment_key ON submissions (student_id, assignment_id);
-- cairn:down
DROP INDEX submissions_student_assignment_key;
DROP TABLE submissions;

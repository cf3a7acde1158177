-- Teachers list the submissions of one assignment filtered by status
-- (the grading queue), which the student-first unique index cannot serve.
-- cairn:up
CREATE INDEX submissions_assignment_status_idx ON submissions (assignment_id, status);
-- cairn:down
DROP INDEX submissions_assignment_status_idx;

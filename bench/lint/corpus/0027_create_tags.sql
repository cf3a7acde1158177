-- Tags, written in a hurry: no timeouts, legacy types.
-- cairn:up
CREATE TABLE tags (
  id serial PRIMARY KEY,
  project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  label varchar(64) NOT NULL,
  color char(7) NOT NULL DEFAULT '#cccccc',
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX tags_project_label ON tags (project_id, lower(label));
-- cairn:down
DROP TABLE tags;

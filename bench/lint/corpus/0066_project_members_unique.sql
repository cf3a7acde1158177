-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE tags ADD CONSTRAINT tags_label_unique UNIQUE (project_id, label);
-- cairn:down
ALTER TABLE tags DROP CONSTRAINT tags_label_unique;

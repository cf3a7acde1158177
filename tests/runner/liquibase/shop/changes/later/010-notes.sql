--liquibase formatted sql

--changeset eve:notes
CREATE TABLE notes (id integer PRIMARY KEY, body varchar(500));
--rollback DROP TABLE notes;

--changeset eve:notes-data
INSERT INTO notes VALUES (1, 'it''s done; really');
INSERT INTO notes VALUES (2, '-- not a comment');
--rollback DELETE FROM notes;

--liquibase formatted sql logicalFilePath:shop/more.sql

--changeset carol:1
/* a block comment; with a semicolon */
ALTER TABLE accounts ADD COLUMN name varchar(100);
/* liquibase rollback
ALTER TABLE accounts DROP COLUMN name;
*/

--changeset carol:2 splitStatements:false
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
--rollback DROP VIEW big_orders;

--changeset carol:3 endDelimiter:GO
CREATE TABLE audit_log (id integer, note varchar(200))
GO
INSERT INTO audit_log VALUES (1, 'created')
GO
--rollback DROP TABLE audit_log;

--changeset dave:ignored ignore:true
CREATE TABLE never_created (id integer);

--changeset dave:tags
--ignoreLines:2
this line is not SQL: Liquibase skips it
and this one too
CREATE TABLE tags (id integer PRIMARY KEY, label varchar(50));
--rollback not required

--changeset dave:tag-index
--ignoreLines:start
nothing here is read
--ignoreLines:end
CREATE INDEX tags_label ON tags (label);
--rollback DROP INDEX tags_label;

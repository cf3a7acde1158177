--liquibase formatted sql

--changeset eve:archive
CREATE TABLE archived_orders (id integer PRIMARY KEY, closed_at timestamp);
INSERT INTO archived_orders (id) SELECT id FROM orders;
--rollback DROP TABLE archived_orders;

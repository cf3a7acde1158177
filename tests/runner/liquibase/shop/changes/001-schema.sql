--liquibase formatted sql

--changeset alice:create-accounts
--comment: accounts of the shop
CREATE TABLE accounts (
    id integer PRIMARY KEY,
    email varchar(200) NOT NULL,
    created_at timestamp
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);
--rollback DROP INDEX accounts_email;
--rollback DROP TABLE accounts;

--changeset alice:create-orders labels:core context:prod
CREATE TABLE orders (
    id integer PRIMARY KEY,
    account_id integer REFERENCES accounts (id),
    total numeric(10, 2)
);
--rollback DROP TABLE orders;

--changeset bob:seed-accounts
INSERT INTO accounts (id, email) VALUES (1, 'a@example.com');
-- a ';' inside a string does not end the statement
INSERT INTO accounts (id, email) VALUES (2, 'b;c@example.com');
--rollback DELETE FROM accounts WHERE id IN (1, 2);

--changeset bob:orders-index runInTransaction:false
CREATE INDEX orders_account ON orders (account_id);
--rollback DROP INDEX orders_account;

-- ALTER SEQUENCE blocks nextval() while it waits for its lock: no timeout here.
-- cairn:up
CREATE SEQUENCE IF NOT EXISTS ticket_number_seq AS bigint START WITH 1 INCREMENT BY 1 CACHE 20;
ALTER SEQUENCE invoice_number_seq RESTART WITH 50000;
-- cairn:down
DROP SEQUENCE IF EXISTS ticket_number_seq;

-- COMMENT takes SHARE UPDATE EXCLUSIVE on the table; ALTER SEQUENCE blocks
-- nextval() (and so inserts into invoices) while it waits.
-- cairn:up
COMMENT ON COLUMN invoices.number IS 'Printed on the PDF';
ALTER SEQUENCE invoice_number_seq INCREMENT BY 1 CACHE 10;
-- cairn:down
ALTER SEQUENCE invoice_number_seq CACHE 1;

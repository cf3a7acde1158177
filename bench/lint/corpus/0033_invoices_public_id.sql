-- A public id for invoice links: the volatile default rewrites the table.
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE invoices ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX CONCURRENTLY invoices_public_id ON invoices (public_id);
-- cairn:down
ALTER TABLE invoices DROP COLUMN public_id;

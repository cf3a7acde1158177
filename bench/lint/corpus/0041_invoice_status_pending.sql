-- "pending" sorts between draft and open on purpose.
-- cairn:up
ALTER TYPE invoice_status ADD VALUE 'pending' AFTER 'draft';

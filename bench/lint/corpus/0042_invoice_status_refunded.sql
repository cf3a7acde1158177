-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TYPE invoice_status ADD VALUE 'refunded';
UPDATE invoices SET state = 'refunded'
 WHERE id IN (SELECT invoice_id FROM refunds WHERE amount = invoices.amount);

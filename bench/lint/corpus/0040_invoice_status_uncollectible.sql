-- expect: clean
-- cairn:up
ALTER TYPE invoice_status ADD VALUE IF NOT EXISTS 'uncollectible';

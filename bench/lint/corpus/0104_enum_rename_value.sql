-- expect: clean
-- cairn:up
ALTER TYPE invoice_status RENAME VALUE 'void' TO 'voided';
-- cairn:down
ALTER TYPE invoice_status RENAME VALUE 'voided' TO 'void';

-- Reference data, created and filled together.
-- expect: clean
-- cairn:up
CREATE TABLE plans (
  code text PRIMARY KEY,
  seats bigint NOT NULL,
  price_cents bigint NOT NULL
);
INSERT INTO plans (code, seats, price_cents) VALUES
  ('free', 1, 0),
  ('team', 10, 4900),
  ('enterprise', 1000, 99900);
UPDATE plans SET price_cents = price_cents * 100;
DELETE FROM plans WHERE code = 'legacy';
-- cairn:down
DROP TABLE plans;

-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE accounts ADD CONSTRAINT accounts_plan_fk FOREIGN KEY (plan) REFERENCES plans (code);
-- cairn:down
ALTER TABLE accounts DROP CONSTRAINT accounts_plan_fk;

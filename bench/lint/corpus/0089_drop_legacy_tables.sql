-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP TABLE IF EXISTS feature_flag_overrides;
DROP TABLE feature_flags CASCADE;
DROP SEQUENCE IF EXISTS legacy_order_seq;
-- cairn:down
CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false);
CREATE TABLE feature_flag_overrides (name text, account_id bigint);

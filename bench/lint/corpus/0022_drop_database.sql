-- cairn:up
DROP DATABASE old_reporting;
-- cairn:down
CREATE DATABASE old_reporting;

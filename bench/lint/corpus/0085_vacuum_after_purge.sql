-- cairn:up
VACUUM (ANALYZE) events;

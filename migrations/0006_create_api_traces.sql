-- api_traces: one row per HTTP request served by the Campus API (request log).
-- user_id is NULL for anonymous requests.
-- cairn:up
CREATE TABLE api_traces (
  trace_id TEXT PRIMARY KEY,
  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
  method TEXT NOT NULL CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
  path TEXT NOT NULL,
  status_code INTEGER NOT NULL CHECK (status_code BETWEEN 100 AND 599),
  duration_us BIGINT NOT NULL CHECK (duration_us >= 0),
  response_bytes BIGINT NOT NULL DEFAULT 0 CHECK (response_bytes >= 0),
  started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX api_traces_started_at_idx ON api_traces (started_at);
CREATE INDEX api_traces_user_started_idx ON api_traces (user_id, started_at);
-- cairn:down
DROP INDEX api_traces_user_started_idx;
DROP INDEX api_traces_started_at_idx;
DROP TABLE api_traces;

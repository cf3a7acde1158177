-- No overlapping bookings per room.
-- expect: clean
-- cairn:up
SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE room_bookings (
  room_id bigint NOT NULL,
  during tstzrange NOT NULL
);
ALTER TABLE room_bookings ADD CONSTRAINT room_bookings_no_overlap
  EXCLUDE USING gist (room_id WITH =, during WITH &&);
ALTER TABLE events ADD CONSTRAINT events_kind_ok CHECK (kind IN ('click', 'view')) NOT VALID;
-- cairn:down
ALTER TABLE events DROP CONSTRAINT events_kind_ok;
DROP TABLE room_bookings;

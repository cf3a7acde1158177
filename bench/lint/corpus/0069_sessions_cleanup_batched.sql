-- Expired sessions, deleted in batches.
-- expect: clean
-- cairn:up
-- cairn:batch table=sessions key=id size=10000
DELETE FROM sessions
 WHERE id > :after AND id <= :upto
   AND expires_at < now() - interval '30 days';

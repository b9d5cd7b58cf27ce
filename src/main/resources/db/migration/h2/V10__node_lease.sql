-- Each replica's own jobs.lease (milliseconds), written with its heartbeat: a replica is alive while
-- its last heartbeat is younger than its own lease, whatever lease the replica looking at it runs.
-- NULL in rows of replicas of an earlier version; those are judged by the reader's lease.
ALTER TABLE nodes ADD COLUMN lease_ms BIGINT;

-- PostgreSQL only: the claim's index holds just the queued jobs, in claim order. The whole index
-- (status, priority, scheduled_at, id) got an entry for every version of every job, since a status
-- change is never a HOT update: three per job's life, and the claim walked past them. Measured with
-- a backlog of 10,000 jobs on a freshly filled table (bench/README.md): a claim took 5.3 ms and the
-- backlog drained at 147 jobs/s with the whole index, 0.11-0.16 ms and 671-744 jobs/s with this
-- one. The claim's `status = 'QUEUED'` implies the predicate, and its `ORDER BY status, ...` walks
-- this index in order, status being fixed. SQLite keeps the whole index: its planner does not pick
-- a partial one without statistics.
CREATE INDEX jobs_queued ON jobs (priority DESC, scheduled_at, id) WHERE status = 'QUEUED';
DROP INDEX jobs_claim;

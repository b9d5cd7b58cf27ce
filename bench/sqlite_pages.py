#!/usr/bin/env python3
"""Pages written to SQLite's WAL per commit of a job's insert and of its finish, on the service's
schema (the migrations in src/main/resources/db/migration/sql) with 30,000 finished jobs behind it.

Run: python3 bench/sqlite_pages.py   (stdlib only; prints one line per schema variant)

Each page a commit changes is appended to the WAL, so this is what one job costs the embedded
store in writes, whatever the Java side does. "before V7" drops the partial indexes that
V7__partial_indexes.sql made and recreates them over every row, as they were before.
"""
import glob
import os
import re
import sqlite3
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = sorted(glob.glob(os.path.join(HERE, "..", "src", "main", "resources", "db", "migration", "sql", "V*.sql")),
                 key=lambda path: int(re.search(r"V(\d+)__", path).group(1)))
BEFORE_V7 = [
    "DROP INDEX jobs_idempotency", "CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key)",
    "DROP INDEX jobs_finished", "CREATE INDEX jobs_finished ON jobs (finished_at)",
    "DROP INDEX jobs_batch", "CREATE INDEX jobs_batch ON jobs (batch_id, id)",
    "DROP INDEX jobs_batch_chunk", "CREATE INDEX jobs_batch_chunk ON jobs (batch_id, batch_chunk)",
]
JOBS = 1000


def job_id(millis, sequence):
    # Time-ordered like the service's UUIDv7 ids, so the primary key grows at its right edge.
    return str(uuid.UUID(int=(millis << 80) | (0x7 << 76) | (sequence << 64) | uuid.uuid4().int & ((1 << 62) - 1)))


def measure(label, ddl):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "jobpool.db")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for script in SCRIPTS:
            db.executescript(open(script).read())
        for statement in ddl:
            db.execute(statement)
        db.execute("BEGIN")
        for i in range(30000):
            millis = 1_600_000_000_000 + i
            db.execute("INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, attempts,"
                       " created_at, scheduled_at, finished_at) VALUES (?, 'echo', '[]', '{}', 'SUCCEEDED', 0, 60000, 0, 1,"
                       " ?, ?, ?)", (job_id(millis, 0), millis, millis, millis))
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA wal_autocheckpoint=0")
        page = db.execute("PRAGMA page_size").fetchone()[0]
        ids = []
        started = time.perf_counter()
        for i in range(JOBS):
            millis = 1_700_000_000_000 + i
            ids.append(job_id(millis, 0))
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, attempts,"
                       " created_at, scheduled_at, started_at, owner_node, worker_node, lease_until)"
                       " VALUES (?, 'echo', '[]', '{}', 'RUNNING', 0, 60000, 0, 1, ?, ?, ?, 'n1', 'n1', ?)",
                       (ids[-1], millis, millis, millis, millis + 60000))
            db.execute("COMMIT")
        inserted = time.perf_counter() - started
        insert_pages = os.path.getsize(path + "-wal") / (page + 24)
        started = time.perf_counter()
        for identifier in ids:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE jobs SET status = 'SUCCEEDED', result = 'null', finished_at = ?, worker_pid = 1"
                       " WHERE id = ? AND status = 'RUNNING'", (1_700_000_100_000, identifier))
            db.execute("COMMIT")
        finished = time.perf_counter() - started
        finish_pages = os.path.getsize(path + "-wal") / (page + 24) - insert_pages
        db.close()
    print(f"{label:10s} insert: {insert_pages / JOBS:4.1f} pages/commit, {inserted / JOBS * 1e6:4.0f} us;"
          f"  finish: {finish_pages / JOBS:4.1f} pages/commit, {finished / JOBS * 1e6:4.0f} us")


if __name__ == "__main__":
    print(f"SQLite {sqlite3.sqlite_version}, {JOBS} jobs, one commit each")
    for _ in range(2):
        measure("before V7", BEFORE_V7)
        measure("V7", [])

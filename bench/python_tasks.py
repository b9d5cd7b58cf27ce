"""Python noop tasks end to end through a running jobpool, with the Python client.

    python3 bench/python_tasks.py http://127.0.0.1:8080 [jobs]

Needs the server started with a Python tasks dir that has `work` (clients/python/tests/tasks does).
Prints jobs/s for `work` (Python) and `square` (Java) submitted with apply_async from 16 threads
and all awaited, and, when the server has /v1/batches, one map() over `jobs` items. Bounded in count;
talks only to the given URL.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

import jobpool  # noqa: E402


def apply_rate(pool, task, jobs, threads=16):
    results = []
    lock = threading.Lock()

    def submit(count):
        mine = [pool.apply_async(task, (3,)) for _ in range(count)]
        with lock:
            results.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=submit, args=(jobs // threads,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for r in results:
        r.get(timeout=600)
    return len(results) / (time.perf_counter() - started)


def main():
    url = sys.argv[1]
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    pool = jobpool.Pool(url)
    pool.apply("work", (1,))
    print("python work, apply_async x %d from 16 threads: %.0f jobs/s end to end" % (jobs, apply_rate(pool, "work", jobs)))
    print("java square, apply_async x %d from 16 threads: %.0f jobs/s end to end" % (jobs, apply_rate(pool, "square", jobs)))
    try:
        started = time.perf_counter()
        pool.map("work", range(jobs), chunksize=100)
        print("python work, map over %d items (chunksize 100): %.0f items/s" % (jobs, jobs / (time.perf_counter() - started)))
    except jobpool.JobpoolError as error:
        print("map skipped: %s" % error)


if __name__ == "__main__":
    main()

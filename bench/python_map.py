"""The Python client against a jobpool server that runs the Python task `noop` (bench/Bench.java's
python tasks mode writes it into the server's tasks dir).

    python3 bench/python_map.py http://127.0.0.1:8080 [map_items] [apply_jobs]

Prints, for Bench.java to read:
    python map items/s = N            Pool.map("noop", range(map_items)), default chunksize
    python apply_async jobs/s = N     apply_async("noop") x apply_jobs from 16 threads, then every .get()
Standard library only; bounded in count (every get() has a timeout); talks only to the given URL.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))

import jobpool  # noqa: E402

THREADS = 16
TIMEOUT = 600  # seconds any one result may take before the run counts as failed


def apply_rate(pool, jobs):
    results = []
    errors = []
    lock = threading.Lock()

    def submit(count):
        try:
            mine = [pool.apply_async("noop", (1,)) for _ in range(count)]
        except Exception as error:  # noqa: B902 - reported below, the run must not hang on it
            with lock:
                errors.append(error)
            return
        with lock:
            results.extend(mine)

    # The first jobs % THREADS threads take one more, so exactly `jobs` are submitted.
    counts = [jobs // THREADS + (1 if n < jobs % THREADS else 0) for n in range(THREADS)]
    started = time.perf_counter()
    threads = [threading.Thread(target=submit, args=(count,)) for count in counts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    for r in results:
        r.get(timeout=TIMEOUT)
    return len(results) / (time.perf_counter() - started)


def main():
    url = sys.argv[1]
    items = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with jobpool.Pool(url) as pool:
        # The warm-up before this ran single jobs only: one small untimed map warms the batch path.
        pool.map("noop", range(min(items, 1000)))
        started = time.perf_counter()
        results = pool.map("noop", range(items))
        seconds = time.perf_counter() - started
        if len(results) != items:
            raise SystemExit("map returned %d results for %d items" % (len(results), items))
        print("python map items/s = %.1f (%d items, default chunksize, %.2f s)" % (items / seconds, items, seconds))
        print("python apply_async jobs/s = %.1f (%d jobs from %d threads, then every get())"
              % (apply_rate(pool, jobs), jobs, THREADS))


if __name__ == "__main__":
    main()

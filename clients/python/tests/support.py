"""Shared by the client tests: the server's URL comes from JOBPOOL_URL (run-tests.sh sets it)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

URL = os.environ.get("JOBPOOL_URL", "http://127.0.0.1:8080")

# The same functions as tasks/classic.py, run locally by multiprocessing for comparison.
# (jobpool's @task leaves a function as it is; these are plain copies so the test process
# needs no jobpool_task module.)


def work(n):
    return n ** 2


def pair_sum(a, b):
    return a + b


def fail_on(n, bad):
    if n == bad:
        raise ValueError("bad item %d" % n)
    return n * 10

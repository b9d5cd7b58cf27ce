"""A client for jobpool shaped like ``multiprocessing.Pool``; standard library only.

    from jobpool import Pool

    with Pool("http://127.0.0.1:8080") as pool:
        print(pool.map("work", range(10)))

Functions are named by the task name a jobpool worker registered (``"work"``); a function
object is accepted too and stands for the task of its ``__name__``. Results come back as JSON,
so tuples come back as lists.
"""

from ._client import (
    AsyncResult,
    CancelledError,
    JobpoolError,
    MapResult,
    Pool,
    RemoteError,
    TimeoutError,
)

__all__ = ["Pool", "AsyncResult", "MapResult", "RemoteError", "CancelledError", "JobpoolError", "TimeoutError"]
__version__ = "0.1.0"

"""A client for jobpool shaped like ``multiprocessing.Pool``; standard library only.

    from jobpool import Pool

    with Pool("http://127.0.0.1:8080") as pool:
        print(pool.map("work", range(10)))

Functions are named by the task name a jobpool worker registered (``"work"``); a function
object is accepted too and stands for the task of its ``__name__``. ``Pool()`` without a URL
uses ``$JOBPOOL_URL`` (else ``http://127.0.0.1:8080``) and ``$JOBPOOL_API_KEY``. Arguments and
results travel as JSON: tuples come back as lists and dict keys as strings. A task's builtin
exception is raised as a subclass of both ``RemoteError`` and that exception
(``except ValueError`` works).
"""

from ._client import (
    AsyncResult,
    CancelledError,
    IMapIterator,
    IMapUnorderedIterator,
    JobForgottenError,
    JobpoolError,
    MapResult,
    Pool,
    RemoteError,
    ServiceUnreachable,
    TimeoutError,
)

__all__ = ["Pool", "AsyncResult", "MapResult", "IMapIterator", "IMapUnorderedIterator", "RemoteError",
           "CancelledError", "JobpoolError", "JobForgottenError", "ServiceUnreachable", "TimeoutError"]
__version__ = "0.1.0"

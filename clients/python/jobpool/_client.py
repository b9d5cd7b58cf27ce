"""The Pool, its results and its errors. Standard library only (urllib, json, threading)."""

import http.client
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from multiprocessing import TimeoutError  # what Pool.get(timeout) raises; programs already catch it

# Longest a single request blocks on the server; longer waits are several requests.
_LONG_POLL_SECONDS = 30.0
_NDJSON = "application/x-ndjson"


class JobpoolError(Exception):
    """The service answered with a problem (RFC 9457): ``status``, ``type`` (``validation``,
    ``unknown-task``, ``queue-full``, ...), ``title``, ``detail`` and the whole ``problem``."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {"detail": str(problem)}
        self.type = str(self.problem.get("type", "")).rsplit("/", 1)[-1] or None
        self.title = self.problem.get("title")
        self.detail = self.problem.get("detail")
        super().__init__("%s %s: %s" % (status, self.type or self.title or "error", self.detail or self.problem))


class RemoteError(Exception):
    """A task failed on a jobpool worker. ``type`` is the remote exception's type (``ValueError``,
    ``java.lang.IllegalArgumentException``, ``TimeoutError``, ``WorkerLostError``, ...), ``message``
    its message and ``trace`` the remote traceback text, like ``multiprocessing``'s
    ``RemoteTraceback``."""

    def __init__(self, type, message, trace=None, job_id=None, index=None):
        self.type = type
        self.message = message
        self.trace = trace
        self.job_id = job_id
        self.index = index
        super().__init__(type, message)

    def __str__(self):
        where = "" if self.index is None else " (item %d)" % self.index
        text = "%s: %s%s" % (self.type, self.message, where)
        if self.trace:
            text += '\n\n"""\n%s"""' % self.trace.rstrip("\n")
        return text

    @classmethod
    def of(cls, error, job_id=None, index=None):
        error = error or {}
        return cls(error.get("type"), error.get("message"), error.get("trace"), job_id, index)


class CancelledError(RemoteError):
    """The job (or batch) was cancelled before it could finish."""


class _Http:
    """JSON over HTTP with an optional bearer key; problems become JobpoolError."""

    def __init__(self, url, api_key, timeout):
        self._base = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout

    def request(self, method, path, body=None, params=None, accept="application/json", stream=False, wait=0.0):
        url = self._base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", accept)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._api_key:
            request.add_header("Authorization", "Bearer " + self._api_key)
        timeout = None if self._timeout is None else self._timeout + wait
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            error.close()
            try:
                problem = json.loads(raw.decode("utf-8")) if raw else {}
            except ValueError:
                problem = {"detail": raw.decode("utf-8", "replace")}
            return status, problem
        if stream:
            return response.status, response
        with response:
            raw = response.read()
            return response.status, (json.loads(raw.decode("utf-8")) if raw else None)


def _task_name(func):
    if isinstance(func, str):
        return func
    name = getattr(func, "jobpool_task_name", None) or getattr(func, "__name__", None)
    if not name:
        raise TypeError("a task is named by a string or a function, not %r" % (func,))
    return name


def _job_options(options):
    names = {"timeout_seconds": "timeoutSeconds", "priority": "priority", "delay_seconds": "delaySeconds",
             "max_retries": "maxRetries", "callback_url": "callbackUrl", "error_callback_url": "errorCallbackUrl"}
    body = {}
    for key, value in options.items():
        if key not in names:
            raise TypeError("unexpected option %r (known: %s)" % (key, ", ".join(sorted(names))))
        if value is not None:
            body[names[key]] = value
    return body


def _remaining(deadline):
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class _Outcome:
    """A finished result: a value, or the exception get() raises."""

    __slots__ = ("success", "value")

    def __init__(self, success, value):
        self.success = success
        self.value = value


class AsyncResult:
    """``multiprocessing.pool.AsyncResult`` for one job: ``ready``, ``successful``, ``wait``, ``get``.

    ``job_id`` is the server's id of the job; the result can be fetched later by another process
    with ``pool.result(job_id)``.
    """

    def __init__(self, pool, job_id, callback=None, error_callback=None):
        self._pool = pool
        self.job_id = job_id
        self._callback = callback
        self._error_callback = error_callback
        self._outcome = None
        self._event = threading.Event()
        self._lock = threading.Lock()

    # -- what the server says

    def _fetch(self, seconds):
        """One long poll; the outcome once the job finished, else None."""
        status, body = self._pool._http.request("GET", "/v1/jobs/%s/result" % self.job_id,
                                                params={"timeout": "%.3f" % seconds}, wait=seconds)
        if status == 200:
            return _Outcome(True, body.get("result"))
        if status == 202:
            return None
        if status == 424:
            error_type = (body or {}).get("type", "").rsplit("/", 1)[-1]
            if error_type == "job-cancelled":
                return _Outcome(False, CancelledError("CancelledError", body.get("detail"), None, self.job_id))
            return _Outcome(False, RemoteError.of(body.get("error"), self.job_id))
        raise JobpoolError(status, body)

    def _poll_until(self, deadline):
        while self._outcome is None:
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                return None
            outcome = self._fetch(_LONG_POLL_SECONDS if remaining is None else min(remaining, _LONG_POLL_SECONDS))
            if outcome is not None:
                with self._lock:
                    if self._outcome is None:
                        self._outcome = outcome
        return self._outcome

    def _has_callbacks(self):
        return self._callback is not None or self._error_callback is not None

    # -- the Pool API

    def ready(self):
        """Whether the job has finished (succeeded, failed or was cancelled)."""
        if self._has_callbacks():
            return self._event.is_set()
        if self._outcome is None:
            outcome = self._fetch(0.0)
            with self._lock:
                if self._outcome is None:
                    self._outcome = outcome
        return self._outcome is not None

    def successful(self):
        """Whether the job finished without raising; ValueError while it is not ready."""
        if not self.ready():
            raise ValueError("%r not ready" % self)
        return self._outcome.success

    def wait(self, timeout=None):
        """Blocks until the job is ready or ``timeout`` seconds have passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._has_callbacks():
            self._event.wait(timeout)
        else:
            self._poll_until(deadline)

    def get(self, timeout=None):
        """The job's result; raises the remote failure as RemoteError, or TimeoutError in time."""
        self.wait(timeout)
        if self._outcome is None or (self._has_callbacks() and not self._event.is_set()):
            raise TimeoutError
        if self._outcome.success:
            return self._outcome.value
        raise self._outcome.value

    # -- the result thread's side

    def _deliver(self):
        """Runs the callback on the pool's result thread, then wakes get() (as Pool does)."""
        try:
            if self._outcome.success and self._callback is not None:
                self._callback(self._outcome.value)
            elif not self._outcome.success and self._error_callback is not None:
                self._error_callback(self._outcome.value)
        finally:
            self._event.set()

    def __repr__(self):
        return "<%s job %s>" % (type(self).__name__, self.job_id)


class MapResult(AsyncResult):
    """The result of ``map_async`` / ``starmap_async``: a batch; get() is the list of results.

    A failed item raises its RemoteError (with ``index``) from get(), like ``Pool.map`` re-raising
    the first exception; ``failures`` lists every failed item's index and error.
    """

    def __init__(self, pool, batch_id, callback=None, error_callback=None):
        super().__init__(pool, batch_id, callback, error_callback)
        self.batch_id = batch_id
        self.failures = []

    def _fetch(self, seconds):
        status, body = self._pool._http.request("GET", "/v1/batches/%s/results" % self.batch_id,
                                                params={"timeout": "%.3f" % seconds}, wait=seconds)
        if status == 200:
            return _Outcome(True, body.get("results"))
        if status == 202:
            return None
        if status == 424:
            self.failures = list((body or {}).get("failures") or [])
            if (body or {}).get("type", "").rsplit("/", 1)[-1] == "job-cancelled" and not self.failures:
                return _Outcome(False, CancelledError("CancelledError", body.get("detail"), None, self.batch_id))
            first = min(self.failures, key=lambda f: f.get("index", 0)) if self.failures else {"error": {}}
            error = self._pool._item_error(self.batch_id, first.get("index"), first.get("error"))
            return _Outcome(False, error)
        raise JobpoolError(status, body)


class _ResultThread:
    """Runs callback / error_callback in the client, one after another on one thread, like Pool's
    result handler. A few watcher threads long-poll the server for pending results."""

    _WATCHERS = 4
    _WATCH_SECONDS = 5.0

    def __init__(self):
        self._pending = queue.Queue()
        self._finished = queue.Queue()
        self._stopping = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self._threads = []

    def watch(self, result):
        with self._lock:
            if not self._started:
                self._start()
        self._pending.put(result)

    def _start(self):
        self._started = True
        handler = threading.Thread(target=self._run_callbacks, name="jobpool-result-handler", daemon=True)
        self._threads.append(handler)
        for n in range(self._WATCHERS):
            self._threads.append(threading.Thread(target=self._watch, name="jobpool-watcher-%d" % n, daemon=True))
        for thread in self._threads:
            thread.start()

    def _watch(self):
        while not self._stopping.is_set():
            try:
                result = self._pending.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                outcome = result._poll_until(time.monotonic() + self._WATCH_SECONDS)
            except Exception as error:  # noqa: B902 - the service is unreachable: that is the outcome
                with result._lock:
                    result._outcome = _Outcome(False, error)
                outcome = result._outcome
            if outcome is None:
                self._pending.put(result)
            else:
                self._finished.put(result)

    def _run_callbacks(self):
        while True:
            result = self._finished.get()
            if result is None:
                return
            try:
                result._deliver()
            except Exception:  # noqa: B902 - a failing callback must not stop the others (as in Pool)
                import traceback
                traceback.print_exc()

    def stop(self):
        self._stopping.set()
        self._finished.put(None)


class _ResultIterator:
    """What imap and imap_unordered return, like multiprocessing's IMapIterator: ``next()``
    raises a failed item's error, and the next ``next()`` goes on with the other items (a
    generator would have ended at the first raise)."""

    def __init__(self, pool, batch_id, ordered):
        self._pool = pool
        self._batch_id = batch_id
        self._ordered = ordered
        self._lines = pool._stream(batch_id)
        self._waiting = {}
        self._next_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._ordered:
            while self._next_index not in self._waiting:
                index, line = next(self._lines)
                self._waiting[index] = line
            index = self._next_index
            line = self._waiting.pop(index)
            self._next_index += 1
        else:
            index, line = next(self._lines)
        return self._pool._line_value(self._batch_id, index, line)


class Pool:
    """``multiprocessing.Pool`` over HTTP: the processes are the jobpool service's workers.

    ``Pool(url, api_key=None)``; ``timeout`` bounds each HTTP exchange (plus its long-poll time).
    As in ``multiprocessing``, ``close()``, ``join()`` and ``terminate()`` concern this Pool
    object and the work it submitted: after ``close()`` it takes no more work, ``join()`` waits
    for what it submitted, ``terminate()`` cancels what of it has not finished (killing the workers
    running it). Other clients of the service are not affected. The service's own pool, shared by
    every client, has ``close_service()``, ``open_service()``, ``join_service()`` and
    ``terminate_service()`` (``POST /v1/pool/close`` and so on; an ``admin`` key when keys are
    configured). Leaving a ``with`` block terminates this object's unfinished work, as
    ``multiprocessing`` does.
    """

    def __init__(self, url="http://127.0.0.1:8080", api_key=None, timeout=60.0):
        self._http = _Http(url, api_key, timeout)
        self._results = _ResultThread()
        self._state = "RUN"
        self._submitted = []  # every AsyncResult / MapResult this object handed out
        self._submitted_lock = threading.Lock()

    def _check_running(self):
        # As multiprocessing.Pool: after close(), terminate() or the end of its with block this
        # Pool object takes no more work.
        if self._state != "RUN":
            raise ValueError("Pool not running")

    # -- single jobs

    def apply(self, func, args=(), kwds=None, **options):
        """Runs ``func(*args, **kwds)`` on a worker and returns its result."""
        return self.apply_async(func, args, kwds, **options).get()

    def apply_async(self, func, args=(), kwds=None, callback=None, error_callback=None, **options):
        """Submits ``func(*args, **kwds)``; options: timeout_seconds, priority, delay_seconds,
        max_retries, callback_url, error_callback_url (server-side webhooks)."""
        self._check_running()
        body = {"task": _task_name(func), "args": list(args), "kwargs": dict(kwds or {})}
        body.update(_job_options(options))
        status, job = self._http.request("POST", "/v1/jobs", body)
        if status not in (200, 202):
            raise JobpoolError(status, job)
        return self._track(AsyncResult(self, job["id"], callback, error_callback))

    def result(self, job_id):
        """An AsyncResult for a job submitted earlier, by anyone with access to it."""
        return AsyncResult(self, job_id)

    # -- batches

    def map(self, func, iterable, chunksize=None, **options):
        """``[func(x) for x in iterable]`` run on the workers, in order."""
        return self.map_async(func, iterable, chunksize, **options).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, **options):
        return self._track(self._batch(func, iterable, False, chunksize, options, callback, error_callback))

    def starmap(self, func, iterable, chunksize=None, **options):
        """``[func(*args) for args in iterable]`` run on the workers, in order."""
        return self.starmap_async(func, iterable, chunksize, **options).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, **options):
        return self._track(self._batch(func, iterable, True, chunksize, options, callback, error_callback))

    def imap_unordered(self, func, iterable, chunksize=1, **options):
        """Results as items complete (an NDJSON stream); a failed item raises when reached, and
        the iteration goes on with the others, as multiprocessing's does."""
        batch = self._track(self._batch(func, iterable, False, chunksize, options, None, None))
        return _ResultIterator(self, batch.batch_id, ordered=False)

    def imap(self, func, iterable, chunksize=1, **options):
        """Results in item order as soon as each and those before it are done; a failed item
        raises when reached, and the iteration goes on with the next."""
        batch = self._track(self._batch(func, iterable, False, chunksize, options, None, None))
        return _ResultIterator(self, batch.batch_id, ordered=True)

    def _batch(self, func, iterable, starmap, chunksize, options, callback, error_callback):
        self._check_running()
        items = [list(item) for item in iterable] if starmap else list(iterable)
        body = {"task": _task_name(func), "items": items, "starmap": starmap}
        if chunksize is not None:
            body["chunksize"] = chunksize
        body.update(_job_options(options))
        status, batch = self._http.request("POST", "/v1/batches", body)
        if status not in (200, 202):
            raise JobpoolError(status, batch)
        return MapResult(self, batch["id"], callback, error_callback)

    def _stream(self, batch_id):
        """(index, line) for each item of the batch as the server streams it, each index once. A
        stream that ends short of the batch's total (the replica serving it shut down, or the
        store was out of reach for a moment) is read again, skipping the indexes already seen."""
        seen = set()
        total = None
        pause = 0.25
        while True:
            status, response = self._http.request("GET", "/v1/batches/%s/results" % batch_id, accept=_NDJSON,
                                                  stream=True, wait=24 * 3600)
            if status == 503:
                pass  # the store is out of reach (store-unavailable): try again after the pause
            elif status != 200:
                raise JobpoolError(status, response)
            else:
                try:
                    with response:
                        for raw in response:
                            raw = raw.strip()
                            if raw:
                                line = json.loads(raw.decode("utf-8"))
                                if line["index"] not in seen:
                                    seen.add(line["index"])
                                    yield line["index"], line
                except (OSError, http.client.HTTPException, ValueError):
                    pass  # cut off mid-stream (or mid-line): read again below
                if total is None:
                    status, batch = self._http.request("GET", "/v1/batches/%s" % batch_id)
                    if status != 200:
                        raise JobpoolError(status, batch)
                    total = batch["counts"]["total"]
                if len(seen) >= total:
                    return
            time.sleep(pause)
            pause = min(pause * 2, 5.0)

    @staticmethod
    def _line_value(batch_id, index, line):
        if "error" in line and "result" not in line:
            error = line.get("error") or {}
            kind = CancelledError if error.get("type") == "CancelledError" else RemoteError
            raise kind.of(error, batch_id, index)
        return line.get("result")

    def _item_error(self, batch_id, index, error):
        """A failed item's error with its traceback, which only the item's stream line carries."""
        try:
            for line_index, line in self._stream(batch_id):
                if line_index == index and "error" in line:
                    error = line["error"]
                    break
        except (JobpoolError, OSError, ValueError):
            pass  # the summary without a trace is still the right error
        kind = CancelledError if (error or {}).get("type") == "CancelledError" else RemoteError
        return kind.of(error, batch_id, index)

    def _track(self, result):
        with self._submitted_lock:
            self._submitted.append(result)
            if len(self._submitted) % 4096 == 0:
                # A long-lived pool forgets what it knows to be finished: join/terminate skip those anyway.
                self._submitted = [r for r in self._submitted if r._outcome is None and not r._event.is_set()]
        if result._has_callbacks():
            self._results.watch(result)
        return result

    # -- this Pool object's work (multiprocessing's close / join / terminate)

    def close(self):
        """This object takes no more work; what it submitted still runs. The service is unaffected."""
        if self._state == "RUN":
            self._state = "CLOSE"

    def join(self, timeout=None):
        """Waits until everything this object submitted is ready (after close() or terminate(), as
        in multiprocessing); False if ``timeout`` passed first."""
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._submitted_lock:
            submitted = list(self._submitted)
        for result in submitted:
            result.wait(_remaining(deadline))
            if not result._event.is_set() and result._outcome is None:
                return False
        return True

    def terminate(self):
        """Takes no more work and cancels what this object submitted that has not finished
        (queued work never runs; running workers are killed). Other clients' work is untouched."""
        self._state = "TERMINATE"
        with self._submitted_lock:
            submitted = list(self._submitted)
        for result in submitted:
            if result._outcome is not None or result._event.is_set():
                continue
            path = ("/v1/batches/%s/cancel" % result.batch_id if isinstance(result, MapResult)
                    else "/v1/jobs/%s/cancel" % result.job_id)
            status, body = self._http.request("POST", path)
            if status not in (200, 404, 409):  # 409: it finished meanwhile; 404: forgotten
                raise JobpoolError(status, body)
        self._results.stop()

    # -- the service's pool, shared by every client (admin)

    def close_service(self):
        """``POST /v1/pool/close``: every replica refuses new work (queued work still runs)."""
        self._pool_command("/v1/pool/close")

    def open_service(self):
        """``POST /v1/pool/open``: the service accepts work again."""
        self._pool_command("/v1/pool/open")

    def join_service(self, timeout=None):
        """Waits until nothing is queued or running on the service; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = _remaining(deadline)
            seconds = _LONG_POLL_SECONDS if remaining is None else min(remaining, _LONG_POLL_SECONDS)
            status, body = self._http.request("POST", "/v1/pool/join", params={"timeout": "%.3f" % seconds},
                                              wait=seconds)
            if status == 200:
                return True
            if status != 202:
                raise JobpoolError(status, body)
            if deadline is not None and _remaining(deadline) <= 0:
                return False

    def terminate_service(self):
        """``POST /v1/pool/terminate``: closes the service and cancels every queued and running job."""
        self._pool_command("/v1/pool/terminate")

    def _pool_command(self, path):
        status, body = self._http.request("POST", path)
        if status != 200:
            raise JobpoolError(status, body)
        return body

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # As multiprocessing's __exit__: terminate(), here of this object's unfinished work only.
        self.terminate()
        return False

    def __repr__(self):
        return "<jobpool.Pool %s>" % self._http._base

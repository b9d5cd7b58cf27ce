"""The Pool, its results and its errors. Standard library only (urllib, json, threading)."""

import ast
import atexit
import builtins
import collections
import http.client
import inspect
import json
import os
import queue
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import warnings
import weakref
from multiprocessing import TimeoutError  # what Pool.get(timeout) raises; programs already catch it

# Longest a single request blocks on the server; longer waits are several requests.
_LONG_POLL_SECONDS = 30.0
_NDJSON = "application/x-ndjson"
_DEFAULT_URL = "http://127.0.0.1:8080"
_URL_ENV = "JOBPOOL_URL"
_API_KEY_ENV = "JOBPOOL_API_KEY"
# At interpreter exit: how long cancelling the unfinished work of every Pool may take in all,
# and how long one cancel request may take (an unreachable service must not hold up the exit).
_EXIT_SECONDS = 5.0
_EXIT_REQUEST_SECONDS = 2.0
# After a 429 too-many-waits (every long poll this API key may hold is open), a wait pauses this long
# before it waits again: the service's Retry-After, by which one of the key's waits has likely answered.
_BUSY_PAUSE = 1.0
_UNSET = object()


# -- errors


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


class ServiceUnreachable(JobpoolError, ConnectionError):
    """The service could not be reached at all: connection refused, no route, DNS failure, TLS
    failure, or no answer within the Pool's ``timeout``. Both a ``JobpoolError`` (``status`` is
    None, ``type`` is ``service-unreachable``) and a ``ConnectionError`` (an ``OSError``, with the
    ``errno`` of the failure when there is one); ``url`` is the service's URL and ``reason`` the
    underlying exception."""

    def __init__(self, url, reason=None):
        cause = getattr(reason, "reason", reason)  # a URLError wraps the socket's error
        self.url = url
        self.reason = cause
        self.status = None
        self.type = "service-unreachable"
        self.title = "Service unreachable"
        self.detail = "cannot reach the jobpool service at %s: %s" % (url, cause if cause is not None else "no answer")
        self.problem = {"type": self.type, "title": self.title, "detail": self.detail}
        self.errno = getattr(cause, "errno", None)
        self.args = (self.detail,)

    def __str__(self):
        return self.detail

    def __reduce__(self):
        return (ServiceUnreachable, (self.url, None if self.reason is None else str(self.reason)))


class JobForgottenError(JobpoolError):
    """The service no longer knows this job (or batch), so its outcome is lost: it finished and
    was deleted (``DELETE /v1/jobs/{id}``, anyone's ``forget()``) or removed by the service's
    ``results.ttl`` sweep before this client fetched its result. (The service answers the same
    404 for an id that was never this API key's, as with ``pool.result(job_id)`` and a wrong id.)

    Such a result is ready and not successful: ``get()`` raises this, ``error_callback`` gets it,
    and ``join()`` completes instead of failing on every call. A ``JobpoolError`` with ``status``
    404 and ``type`` ``not-found``; ``job_id`` is the job's (or batch's) id, ``kind`` ``"job"`` or
    ``"batch"``."""

    def __init__(self, job_id, problem=None, kind="job"):
        super().__init__(404, problem if isinstance(problem, dict) and problem else {"type": "not-found"})
        self.job_id = job_id
        self.kind = kind
        said = " (the service said: %s)" % self.detail if self.detail else ""
        path = "/v1/batches/" if kind == "batch" else "/v1/jobs/"
        self.args = ("%s %s is not known to the service any more%s: it was deleted (DELETE %s%s) or "
                     "removed by the results.ttl sweep before its result was fetched, so its outcome is lost"
                     % (kind, job_id, said, path, job_id),)

    def __str__(self):
        return self.args[0]

    def __reduce__(self):
        return (JobForgottenError, (self.job_id, self.problem, self.kind))


class _Busy(JobpoolError):
    """429 ``too-many-waits``: this API key holds as many long polls as the service allows
    (``jobpool.security.max-long-polls-per-key``); a 0-second poll still works. Not an error of
    the work: every wait of the client (get, wait, join, map, imap's result stream, join_service)
    pauses (``_busy_pause``) and waits again."""


def _raise_if_busy(status, body):
    """A waiting request (``timeout``, a result stream) answered 429: the key's long polls are all
    open (``too-many-waits``, the only 429 the service gives a wait), which passes as they answer."""
    if status == 429:
        raise _Busy(status, body)


def _busy_pause(deadline, event=None):
    """The pause of a wait refused with ``_Busy`` before it waits again: ``_BUSY_PAUSE`` (the
    service's Retry-After), cut at the deadline (None: no deadline); ``event`` set ends it early."""
    left = _remaining(deadline)
    seconds = _BUSY_PAUSE if left is None else min(_BUSY_PAUSE, left)
    if event is None:
        time.sleep(seconds)
    else:
        event.wait(seconds)


class RemoteError(Exception):
    """A task failed on a jobpool worker. ``type`` is the remote exception's type (``ValueError``,
    ``mymodule.MyError``, ``java.lang.IllegalArgumentException``, ``TimeoutError``,
    ``WorkerLostError``, ...), ``message`` its message and ``trace`` the remote traceback text, like
    ``multiprocessing``'s ``RemoteTraceback``; ``job_id`` the job (or batch) and ``index`` a batch
    item's position.

    When ``type`` names a Python builtin exception (or an exception class of a module the program
    has imported), ``get()`` raises an instance of a subclass of both RemoteError and that class
    (``RemoteValueError`` for ``ValueError``, made as needed, not importable), so ``except ValueError`` catches it, with
    ``args == (message,)`` as the task's exception had."""

    def __init__(self, type, message, trace=None, job_id=None, index=None):
        self._remember(type, message, trace, job_id, index)
        super().__init__(type, message)

    def _remember(self, type, message, trace, job_id, index):
        self.type = type
        if not isinstance(self, BaseExceptionGroup):
            self.message = message  # a group's message is its own, read-only, and made from this one
        self.trace = trace
        self.job_id = job_id
        self.index = index

    def __str__(self):
        where = "" if self.index is None else " (item %d)" % self.index
        text = "%s: %s%s" % (self.type, self.message, where)
        if self.trace:
            text += '\n\n"""\n%s"""' % self.trace.rstrip("\n")
        return text

    def __reduce__(self):
        # The classes made for remote types are not importable by name: rebuild from the fields.
        return (_rebuild_remote_error,
                (self.type, self.message, self.trace, self.job_id, self.index, isinstance(self, CancelledError)))

    @classmethod
    def of(cls, error, job_id=None, index=None):
        """The exception for a job's ``error`` object (``type``, ``message``, ``trace``)."""
        error = error or {}
        return _remote_error(error.get("type"), error.get("message"), error.get("trace"), job_id, index,
                             CancelledError if cls is CancelledError else None)


class CancelledError(RemoteError):
    """The job (or batch) was cancelled before it could finish."""


# Remote types that keep their RemoteError class: the service's own kinds of failure (a job's
# timeout is "TimeoutError", which is not the builtin OSError subclass), and StopIteration, which
# would silently end the loop iterating over imap's results.
_PLAIN_REMOTE_TYPES = frozenset({"TimeoutError", "WorkerLostError", "CancelledError", "ResultTooLargeError",
                                 "ResultNotSerializableError", "UnknownTaskError", "StopIteration",
                                 "StopAsyncIteration"})
_remote_classes = {}
_remote_classes_lock = threading.Lock()


def _local_exception_class(type_name, trace=None):
    """The client's own exception class of that remote type name, or None: a builtin for a plain
    name ("ValueError"), else "module.Qualname" from a module the program has already imported.
    Nothing is imported on the service's say-so. A "TimeoutError" with a remote traceback is the
    task's own (the builtin OSError, socket.timeout); the service's job timeout has none."""
    if not type_name or type_name in _PLAIN_REMOTE_TYPES and not (type_name == "TimeoutError" and trace):
        return None
    if "." not in type_name:
        found = getattr(builtins, type_name, None)
    else:
        found = None
        parts = type_name.split(".")
        for split in range(len(parts) - 1, 0, -1):
            module = sys.modules.get(".".join(parts[:split]))
            if module is None:
                continue
            found = module
            for name in parts[split:]:
                found = getattr(found, name, None)
            break
    if isinstance(found, type) and issubclass(found, Exception) and not issubclass(found, RemoteError):
        return found
    return None


def _base_args(base, message):
    """The args the task's exception had, as far as its message tells: KeyError's str() is the
    repr of its key, so its message is read back as a literal."""
    if message is None:
        return ()
    if issubclass(base, KeyError):
        try:
            return (ast.literal_eval(message),)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return (message,)


def _remote_class(type_name, trace=None):
    """RemoteError, or (cached per type and local class) a subclass of RemoteError and the local
    class of that remote type; RemoteError when the local class cannot be made from a message alone."""
    # Looked up each time, never cached while missing: the program may import the module later.
    base = _local_exception_class(type_name, trace)
    if base is None:
        return RemoteError
    key = (type_name, base)
    with _remote_classes_lock:
        if key in _remote_classes:
            return _remote_classes[key]

    def __init__(self, type, message, trace=None, job_id=None, index=None, _base=base):
        args = _base_args(_base, message)
        try:
            _base.__init__(self, *args)
        except TypeError:
            if _base.__module__ != "builtins":
                raise  # a module's class (json.JSONDecodeError) stays a plain RemoteError, as documented
            # UnicodeDecodeError wants (encoding, object, start, end, reason), which a message does
            # not give: still one, so "except UnicodeDecodeError / ValueError" catches it.
            BaseException.__init__(self, *args)
        self._remember(type, message, trace, job_id, index)
        self.args = args

    members = {"__init__": __init__, "__module__": __name__.rsplit(".", 1)[0], "__doc__": "A remote %s." % type_name}
    if issubclass(base, BaseExceptionGroup):
        def __new__(klass, type, message, trace=None, job_id=None, index=None, _base=base):
            # A group is made with its exceptions, which the service does not send: it holds one
            # RemoteError with the group's message, so "except ExceptionGroup" catches it.
            return _base.__new__(klass, message or "", [RemoteError(type, message, trace, job_id, index)])
        members["__new__"] = __new__

    # RemoteValueError for ValueError; RemoteError[configparser.Error] for a module's class.
    name = "Remote" + base.__name__ if "." not in type_name else "RemoteError[%s]" % type_name
    members["__qualname__"] = name
    try:
        cls = builtins.type(name, (RemoteError, base), members)
        cls(type_name, "probe", None, None, None)  # a class whose __new__ needs more than a message falls back
        made = cls
    except Exception:  # noqa: B902 - any class that cannot be combined stays a plain RemoteError
        made = RemoteError
    with _remote_classes_lock:
        return _remote_classes.setdefault(key, made)


def _remote_error(type_name, message, trace=None, job_id=None, index=None, kind=None):
    """The exception get() / next() raise for a remote failure."""
    if kind is None:
        kind = CancelledError if type_name == "CancelledError" else _remote_class(type_name, trace)
    try:
        return kind(type_name, message, trace, job_id, index)
    except Exception:  # noqa: B902 - a class that cannot take this message: the plain RemoteError
        return RemoteError(type_name, message, trace, job_id, index)


def _rebuild_remote_error(type_name, message, trace, job_id, index, cancelled):
    return _remote_error(type_name, message, trace, job_id, index, CancelledError if cancelled else None)


# -- HTTP


def _first_unencodable(items):
    """The index of the first item JSON cannot carry, or None."""
    for index, item in enumerate(items):
        try:
            json.dumps(item, allow_nan=False)
        except (TypeError, ValueError):
            return index
    return None


def _json_body(body):
    """The request body as JSON, refusing what JSON cannot carry before anything is sent."""
    try:
        return json.dumps(body, allow_nan=False).encode("utf-8")
    except ValueError as error:
        if "ircular" in str(error):
            raise ValueError("jobpool sends arguments as JSON, which cannot hold a circular reference: %s"
                             % error) from None
        raise ValueError("NaN and Infinity are not JSON numbers: jobpool sends arguments as JSON "
                         "(json.dumps(allow_nan=False): %s); send None or a string instead" % error) from None
    except TypeError as error:
        raise TypeError("jobpool sends arguments as JSON: %s (JSON has lists, dicts with string keys, str, "
                        "int, float, bool and None)" % error) from None


class _Http:
    """JSON over HTTP with an optional bearer key; a failure to reach the service is ServiceUnreachable."""

    def __init__(self, url, api_key, timeout):
        self._base = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout

    def request(self, method, path, body=None, params=None, accept="application/json", stream=False, wait=0.0,
                timeout=_UNSET):
        """(status, parsed JSON body) for any HTTP answer; with ``stream``, (status, response)."""
        url = self._base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else _json_body(body)
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", accept)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._api_key:
            request.add_header("Authorization", "Bearer " + self._api_key)
        if timeout is _UNSET:
            timeout = None if self._timeout is None else self._timeout + wait
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            status = error.code
            try:
                raw = error.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                error.close()
            try:
                problem = json.loads(raw.decode("utf-8")) if raw else {}
            except ValueError:
                problem = {"detail": raw.decode("utf-8", "replace")}
            return status, problem
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            raise ServiceUnreachable(self._base, error) from error
        if stream:
            return response.status, response
        try:
            with response:
                raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise ServiceUnreachable(self._base, error) from error
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


def _start_thread(target, name):
    """Starts a daemon thread; False when none can be started (interpreter shutdown)."""
    try:
        threading.Thread(target=target, name=name, daemon=True).start()
        return True
    except RuntimeError:
        return False


# -- results


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
        self._outcome = None            # set once, by whoever learns it first
        self._event = threading.Event()  # ready: the outcome is known and the callbacks have run
        self._lock = threading.Lock()
        # The pool's watcher's bookkeeping (results with callbacks).
        self._task = None
        self._seq = 0
        self._interval = 0.0
        self._next_check = 0.0
        self._seen_running = False
        self._inferred = False

    # -- what the server says

    def _fetch(self, seconds, timeout=_UNSET):
        """One (long) poll; the outcome once the job finished, else None."""
        status, body = self._pool._http.request("GET", "/v1/jobs/%s/result" % self.job_id,
                                                params={"timeout": "%.3f" % seconds}, wait=seconds, timeout=timeout)
        if status == 200:
            return _Outcome(True, body.get("result"))
        if status == 202:
            return None
        if status == 424:
            error_type = (body or {}).get("type", "").rsplit("/", 1)[-1]
            if error_type == "job-cancelled":
                error = (body or {}).get("error") or {}
                return _Outcome(False, CancelledError("CancelledError", error.get("message") or body.get("detail"),
                                                      error.get("trace"), self.job_id))
            return _Outcome(False, RemoteError.of(body.get("error"), self.job_id))
        if status == 404:  # forgotten: no answer will ever be different, so that is its outcome
            return _Outcome(False, JobForgottenError(self.job_id, body, "job"))
        _raise_if_busy(status, body)
        raise JobpoolError(status, body)

    def _watch_key(self):
        return ("job", self.job_id)

    def _cancel_path(self):
        return "/v1/jobs/%s/cancel" % self.job_id

    def _settle(self, outcome, callbacks=True):
        """Records the outcome; the first one wins. With callbacks, the pool's result thread runs
        them and then makes the result ready (as Pool's result handler does); else it is ready now."""
        with self._lock:
            if self._outcome is not None:
                return False
            self._outcome = outcome
        if self._pool._state == "TERMINATE" and isinstance(outcome.value, CancelledError):
            callbacks = False  # cancelled by terminate() (seen by a poll before its own answer): no callback
        if callbacks and self._has_callbacks():
            self._pool._callbacks.put(self)
        else:
            self._event.set()
        self._pool._watcher.discard(self)
        return True

    def _poll_until(self, deadline):
        """Asks the server (at least once, even with no time left) until the job finished or the
        deadline passed; the outcome, or None."""
        while self._outcome is None:
            remaining = _remaining(deadline)
            seconds = _LONG_POLL_SECONDS if remaining is None else min(remaining, _LONG_POLL_SECONDS)
            try:
                outcome = self._fetch(seconds)
            except _Busy:
                # Too many long polls open for this key: a 0-second poll, then a pause.
                outcome = self._fetch(0.0)
                if outcome is None:
                    _busy_pause(deadline, self._event)
            if outcome is not None:
                self._settle(outcome)
            elif deadline is not None and _remaining(deadline) <= 0:
                break
        return self._outcome

    def _has_callbacks(self):
        return self._callback is not None or self._error_callback is not None

    # -- the Pool API

    def ready(self):
        """Whether the job has finished (succeeded, failed or was cancelled); also True once the
        service has forgotten it (get() then raises JobForgottenError)."""
        if self._event.is_set():
            return True
        if self._outcome is None and not self._has_callbacks():
            outcome = self._fetch(0.0)
            if outcome is not None:
                self._settle(outcome)
        return self._event.is_set()

    def successful(self):
        """Whether the job finished without raising; ValueError while it is not ready."""
        if not self.ready():
            raise ValueError("%r not ready" % self)
        return self._outcome.success

    def wait(self, timeout=None):
        """Blocks until the job is ready or ``timeout`` seconds have passed; asks the server at
        least once, also with ``timeout=0``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._event.is_set():
            return
        if self._outcome is None:
            self._poll_until(deadline)
        if self._outcome is not None:
            self._event.wait(_remaining(deadline))  # the callbacks run before the result is ready

    def get(self, timeout=None):
        """The job's result; raises the remote failure (see RemoteError), JobForgottenError when the
        service deleted the job before its result was fetched, or TimeoutError in time."""
        self.wait(timeout)
        if not self._event.is_set():
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

    def _fetch(self, seconds, timeout=_UNSET):
        status, body = self._pool._http.request("GET", "/v1/batches/%s/results" % self.batch_id,
                                                params={"timeout": "%.3f" % seconds}, wait=seconds, timeout=timeout)
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
        if status == 404:  # forgotten: no answer will ever be different, so that is its outcome
            return _Outcome(False, JobForgottenError(self.batch_id, body, "batch"))
        _raise_if_busy(status, body)
        raise JobpoolError(status, body)

    def _watch_key(self):
        return ("batch", self.batch_id)

    def _cancel_path(self):
        return "/v1/batches/%s/cancel" % self.batch_id


# -- the client-side threads of a Pool


class _CallbackRunner:
    """Runs callback / error_callback in the client, one after another on one thread, like Pool's
    result handler. The thread starts with the first delivery and ends after a few idle seconds
    (a new one starts with the next delivery), so finished Pools leave no thread behind."""

    IDLE_SECONDS = 5.0

    def __init__(self):
        self._queue = collections.deque()
        self._cond = threading.Condition()
        self._running = False

    def put(self, result):
        with self._cond:
            self._queue.append(result)
            start = not self._running
            self._running = True
            self._cond.notify()
        if start and not _start_thread(self._run, "jobpool-result-handler"):
            self._run(idle=0.0)  # no thread can start (interpreter shutdown): deliver here

    def _run(self, idle=IDLE_SECONDS):
        while True:
            with self._cond:
                if not self._queue:
                    self._cond.wait(idle)
                if not self._queue:
                    self._running = False
                    return
                result = self._queue.popleft()
            try:
                result._deliver()
            except Exception:  # noqa: B902 - a failing callback must not stop the others (as in Pool)
                traceback.print_exc()


_RETRY = object()  # a watcher's check met a passing failure (service unreachable, 5xx, 429)


class _Watcher:
    """Finds out when this Pool's results with callbacks finish, so that the callbacks run soon
    after (the Pool's result thread then runs them).

    - ``FRONT`` threads long-poll the oldest pending results, the oldest of each task first (a
      task's first pending result starts a thread of its own, up to ``MAX_FRONTS``). The service
      starts a pool's jobs in the order they came (per priority), so these are the ones that
      finish next in the common case; a finished one is noticed at once.
    - One sweeper thread, every ``TICK``, lists the service's RUNNING jobs (one small request:
      at most as many as there are workers) and checks at once each pending result that was
      running and no longer is, and each one older than a running result of the same task (it
      started first, so it ran too briefly to be seen); other pending results (a job that ran on
      another pool or with a higher priority, or too briefly to be seen running) get 0-second
      checks with a back-off per result (``FIRST_CHECK`` doubling to ``MAX_INTERVAL``): the first
      one always (one request per job submitted, at most ``URGENT_BUDGET`` a tick), later ones
      earliest due first, at most ``BUDGET`` per tick.
    So a finished job's callback runs within about a tick, with a handful of threads and a bounded
    request rate however many results are pending.
    """

    FRONT = 4
    MAX_FRONTS = 8  # the first pending result of a task gets a front thread of its own, up to this many
    FRONT_WAIT = 5.0
    TICK = 0.2
    BUDGET = 4
    URGENT_BUDGET = 64
    FIRST_CHECK = 0.1
    MAX_INTERVAL = 10.0
    IDLE_SECONDS = 5.0
    LIST_LIMIT = 200
    LIST_DUTY = 10  # a listing waits at least ten times its own duration before the next one

    def __init__(self, pool):
        self._pool = pool
        self._cond = threading.Condition()
        self._pending = {}  # result -> None, oldest first
        self._held = set()  # results a front thread is polling
        self._fronts = 0
        self._sweeping = False
        self._stopped = threading.Event()
        self._listing = True  # False once the service refused to list jobs to this key
        self._next_listing = 0.0
        self._added = 0

    def add(self, result):
        result._interval = self.FIRST_CHECK
        result._next_check = time.monotonic() + self.FIRST_CHECK
        starts = []
        with self._cond:
            if self._stopped.is_set():
                return
            self._added += 1
            result._seq = self._added
            first_of_task = all(r._task != result._task for r in self._pending)
            self._pending[result] = None
            if self._fronts < self.FRONT or (first_of_task and self._fronts < self.MAX_FRONTS):
                self._fronts += 1
                starts.append(("front", self._front))
            if not self._sweeping:
                self._sweeping = True
                starts.append(("sweep", self._sweep))
            self._cond.notify_all()
        for kind, target in starts:
            if not _start_thread(target, "jobpool-watcher-" + kind):
                with self._cond:
                    if kind == "front":
                        self._fronts -= 1
                    else:
                        self._sweeping = False

    def discard(self, result):
        with self._cond:
            self._pending.pop(result, None)

    def stop(self):
        with self._cond:
            self._stopped.set()
            self._pending.clear()
            self._cond.notify_all()

    def _oldest_free(self):
        """The pending result a free front thread polls: the oldest of its task first (each task
        runs on one pool of the service, which starts its jobs in the order they came), then by age."""
        if self._stopped.is_set():
            return None
        best, best_rank, ranks = None, None, {}
        for result in self._pending:
            rank = ranks.get(result._task, 0)
            ranks[result._task] = rank + 1
            if result in self._held or (best is not None and rank >= best_rank):
                continue
            best, best_rank = result, rank
            if rank == 0:
                break  # the oldest result that is the oldest of its task: none comes before it
        return best

    def _front(self):
        failures = 0
        while True:
            with self._cond:
                result = self._oldest_free()
                idle_until = time.monotonic() + self.IDLE_SECONDS
                while result is None and not self._stopped.is_set():
                    left = idle_until - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                    result = self._oldest_free()
                if result is None:
                    self._fronts -= 1
                    return
                self._held.add(result)
            try:
                outcome = self._check(result, self.FRONT_WAIT)
            finally:
                with self._cond:
                    self._held.discard(result)
            if outcome is _RETRY:
                failures += 1
                self._stopped.wait(min(0.25 * 2 ** failures, 5.0))
            else:
                failures = 0

    def _check(self, result, seconds):
        """One poll of a result, settling it when final: its outcome, None, or _RETRY."""
        if result._outcome is not None:
            return None
        try:
            outcome = result._fetch(seconds)
        except (_Busy, ServiceUnreachable):
            return _RETRY
        except JobpoolError as error:
            if error.status is not None and error.status >= 500:
                return _RETRY
            outcome = _Outcome(False, error)  # 401/403: that is its outcome (a 404 is JobForgottenError's)
        except Exception as error:  # noqa: B902 - an answer that is not JSON: that is its outcome
            outcome = _Outcome(False, error)
        if outcome is not None:
            result._settle(outcome)
        return outcome

    def _sweep(self):
        idle_since = None
        while True:
            with self._cond:
                if self._stopped.is_set() or (not self._pending and idle_since is not None
                                              and time.monotonic() - idle_since >= self.IDLE_SECONDS):
                    self._sweeping = False  # decided under the lock add() starts a sweeper under
                    return
                pending = list(self._pending)
                candidates = [r for r in pending if r not in self._held]
                if self._pending:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
            if candidates:
                self._sweep_once(pending, candidates)
            self._stopped.wait(self.TICK)

    def _sweep_once(self, pending, candidates):
        now = time.monotonic()
        running = self._running_keys(now)
        newest_running = {}  # task -> the youngest of its pending results the service runs now
        if running is not None:
            for result in pending:
                if result._task is not None and result._watch_key() in running:
                    newest_running[result._task] = max(newest_running.get(result._task, 0), result._seq)
        urgent, first, due = [], [], []
        for result in candidates:
            if running is not None:
                if result._watch_key() in running:
                    result._seen_running = True
                    continue  # the listing watches it
                if len(urgent) < self.URGENT_BUDGET:
                    if result._seen_running:
                        result._seen_running = False
                        urgent.append(result)  # it was running and is no more: most likely finished
                        continue
                    if not result._inferred and result._seq < newest_running.get(result._task, 0):
                        # A younger job of the same task runs: the service starts jobs in the order
                        # they came, so this one started before it, too briefly to be seen running.
                        result._inferred = True
                        urgent.append(result)
                        continue
            if result._next_check <= now:
                (first if result._interval <= self.FIRST_CHECK else due).append(result)
        # Every result's first check (one per job submitted: a short job may be done already),
        # then the later ones, earliest due first, at most BUDGET of them.
        first.sort(key=lambda r: r._seq)
        due.sort(key=lambda r: (r._interval, r._next_check))
        for result in urgent + first[:max(0, self.URGENT_BUDGET - len(urgent))] + due[:self.BUDGET]:
            if self._stopped.is_set():
                return
            outcome = self._check(result, 0.0)
            if outcome is None or outcome is _RETRY:
                result._interval = min(result._interval * 2, self.MAX_INTERVAL)
                result._next_check = time.monotonic() + result._interval

    def _running_keys(self, now):
        """The ids of the jobs (and batches) the service runs now, or None when not known."""
        if not self._listing or now < self._next_listing:
            return None
        started = time.monotonic()
        try:
            status, body = self._pool._http.request("GET", "/v1/jobs",
                                                    params={"status": "RUNNING", "limit": str(self.LIST_LIMIT)})
        except Exception:  # noqa: B902 - the listing is a hint; the checks still run
            return None
        finally:
            self._next_listing = started + max(self.TICK / 2, (time.monotonic() - started) * self.LIST_DUTY)
        if status in (400, 401, 403, 404, 405):
            self._listing = False  # this key may not list jobs (or the service cannot): checks only
            return None
        if status != 200 or not isinstance(body, dict):
            return None
        keys = set()
        for job in body.get("items") or []:
            keys.add(("job", job.get("id")))
            if job.get("batchId"):
                keys.add(("batch", job.get("batchId")))
        return keys


# -- imap / imap_unordered


class _Window:
    """A run of consecutive input items submitted as one batch."""

    __slots__ = ("base", "count", "batch_id", "received", "yielded", "ended", "error")

    def __init__(self, base, count, batch_id=None):
        self.base = base          # the global index of its first item
        self.count = count
        self.batch_id = batch_id
        self.received = 0         # item lines read from its stream
        self.yielded = 0          # items next() has returned or raised
        self.ended = False        # its stream is over (or it could not be submitted)
        self.error = None         # why items that never came fail


class IMapIterator:
    """What ``imap`` returns, like ``multiprocessing``'s IMapIterator: ``next(timeout=None)``
    (``multiprocessing.TimeoutError`` at the timeout) and iteration.

    The input is read lazily, in windows: each window of about ``_WINDOW_ITEMS`` items (at least
    ``_WINDOW_CHUNKS`` chunks) is one batch (``POST /v1/batches``), and at most ``_WINDOWS``
    windows are in flight; the next one is read from the input and submitted once an earlier one
    has been consumed. So ``imap(f, itertools.count())`` works and a huge input is never held
    whole. A failed item raises its error from ``next()`` and the next ``next()`` goes on with
    the other items (a generator would have ended at the first raise); ``index`` is the item's
    position in the whole input."""

    _WINDOW_ITEMS = 1024
    _WINDOW_CHUNKS = 16
    _WINDOWS = 4
    _ordered = True

    def __init__(self, pool, task, iterable, chunksize, options):
        self._pool = pool
        self._task = task
        self._chunksize = chunksize
        self._options = options
        self._input = iter(iterable)
        chunk = chunksize or 1
        self._window_size = chunk * max(self._WINDOW_CHUNKS, -(-self._WINDOW_ITEMS // chunk))
        self._windows = collections.deque()  # in flight, in input order
        self._arrivals = queue.Queue()        # (window, index, line) from the windows' stream readers
        self._waiting = {}                    # imap: global index -> line, arrived ahead of its turn
        self._ready = collections.deque()     # imap_unordered: (window, index, line)
        self._next_index = 0
        self._taken = 0                       # items read from the input so far
        self._held = None                     # (base, items) read but not yet submitted
        self._exhausted = False
        self._end_error = None                # raised once after the last item
        self._lock = threading.Lock()
        # The first window now, so that work starts at once and a refused request (unknown task,
        # a refused item) raises here, as map does. An exception from the input does not: next()
        # raises it in its turn, as multiprocessing's imap does.
        self._fill(None, first=True)

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self, timeout=None):
        """The next result; raises a failed item's error, StopIteration at the end, or
        ``multiprocessing.TimeoutError`` when ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._lock.acquire(True, -1 if timeout is None else max(0.0, timeout)):
            raise TimeoutError
        try:
            while True:
                found, value = self._take()
                if found:
                    return value
                if len(self._windows) < self._WINDOWS and (self._held is not None or not self._exhausted):
                    self._fill(deadline)
                    continue
                try:
                    arrival = self._arrivals.get(timeout=_remaining(deadline))
                except queue.Empty:
                    raise TimeoutError from None
                self._absorb(arrival)
        finally:
            self._lock.release()

    # -- reading the input and submitting windows

    def _fill(self, deadline, first=False):
        while len(self._windows) < self._WINDOWS and (self._held is not None or not self._exhausted):
            if self._pool._state == "TERMINATE":
                base = self._taken if self._held is None else self._held[0]
                self._held = None
                self._finish(CancelledError("CancelledError", "the Pool was terminated: the rest of the input "
                                            "was never submitted", None, None, base))
                return
            if self._held is None:
                items, error = [], None
                try:
                    for item in self._input:
                        items.append(item)
                        if len(items) >= self._window_size:
                            break
                except Exception as raised:  # noqa: B902 - the input's own failure, raised in its turn
                    # Also in the first window: multiprocessing's imap() never raises the input's
                    # error from the call; next() raises it after the items read before it, which
                    # still run (they are submitted below, so a refused request still raises here).
                    error = raised
                if error is not None or len(items) < self._window_size:
                    self._finish(error)
                if not items:
                    return
                self._held = (self._taken, items)
                self._taken += len(items)
            base, items = self._held
            try:
                window = self._submit(base, items, deadline, first)
                self._held = None
            except (TypeError, ValueError) as error:
                bad = None if first else _first_unencodable(items)
                if bad is None:
                    raise  # the first window raises from imap() itself, as map does
                # An item JSON cannot carry (NaN, a set) past the first window fails alone, in its
                # turn: kept held, it raised from every next() and no result came out again.
                if bad == 0:
                    window = _Window(base, 1)
                    window.ended, window.error = True, error
                    self._held = (base + 1, items[1:]) if len(items) > 1 else None
                else:
                    window = self._submit(base, items[:bad], deadline, first)
                    self._held = (base + bad, items[bad:])
            self._windows.append(window)
            if window.batch_id is not None and not _start_thread(lambda w=window: self._read(w), "jobpool-imap"):
                window.ended, window.error = True, JobpoolError(None, "no thread to read the batch's results")
            if first:
                return

    def _finish(self, error):
        self._exhausted = True
        self._end_error = error

    def _submit(self, base, items, deadline, first):
        """The window of those items as a batch. A full queue is waited for (until the deadline:
        TimeoutError, the items kept for the next call); another refusal fails the window's items."""
        body = {"task": self._task, "items": items, "starmap": False}
        if self._chunksize is not None:
            body["chunksize"] = self._chunksize
        body.update(self._options)
        pause = 0.25
        while True:
            status, batch = self._pool._http.request("POST", "/v1/batches", body)  # unreachable: raises, items kept
            if status in (200, 202):
                self._pool._track(MapResult(self._pool, batch["id"]))
                return _Window(base, len(items), batch["id"])
            error = JobpoolError(status, batch)
            if first:
                raise error
            if status == 429 or (status in (502, 503, 504) and error.type != "pool-closed"):
                left = _remaining(deadline)
                if left is not None and left <= 0:
                    raise TimeoutError
                time.sleep(pause if left is None else min(pause, left))  # back-off: the queue is full
                pause = min(pause * 2, 5.0)
                continue
            window = _Window(base, len(items))
            window.ended, window.error = True, error
            return window

    def _read(self, window):
        """The window's stream reader thread: its item lines, then an end mark (with the error
        that ended it early, if any)."""
        try:
            for index, line in self._pool._stream(window.batch_id):
                self._arrivals.put((window, index, line))
        except Exception as error:  # noqa: B902 - the items that did not come fail with it
            self._arrivals.put((window, None, error))
        else:
            self._arrivals.put((window, None, None))

    # -- handing out results

    def _absorb(self, arrival):
        window, index, line = arrival
        if index is None:
            window.ended, window.error = True, line
        else:
            window.received += 1
            if self._ordered:
                self._waiting[window.base + index] = line
            else:
                self._ready.append((window, index, line))

    def _advance(self, window):
        window.yielded += 1
        if window.yielded >= window.count:
            self._windows.remove(window)

    def _take(self):
        """(True, value) or raises for the next item that can be handed out; (False, None) when
        it has not come yet; StopIteration at the end."""
        while self._windows:
            window = self._windows[0]
            index = self._next_index
            if index in self._waiting:
                line = self._waiting.pop(index)
                self._next_index += 1
                self._advance(window)
                return True, self._pool._line_value(window.batch_id, index, line)
            if window.ended:  # its stream is over (its lines all came before the end mark): it never will
                self._next_index += 1
                self._advance(window)
                raise window.error or JobpoolError(None, "the results of item %d never came" % index)
            return False, None
        return self._at_end()

    def _at_end(self):
        if self._held is not None or not self._exhausted:
            return False, None
        if self._end_error is not None:
            error, self._end_error = self._end_error, None
            raise error
        raise StopIteration


class IMapUnorderedIterator(IMapIterator):
    """What ``imap_unordered`` returns: as IMapIterator, results as items complete."""

    _ordered = False

    def _take(self):
        if self._ready:
            window, index, line = self._ready.popleft()
            self._advance(window)
            return True, self._pool._line_value(window.batch_id, window.base + index, line)
        for window in list(self._windows):
            if window.ended and window.received < window.count:
                window.received += 1  # an item that will never come: it fails with the window's error
                self._advance(window)
                raise window.error or JobpoolError(None, "the results of an item of batch %s never came"
                                                   % window.batch_id)
        if self._windows:
            return False, None
        return self._at_end()


# -- the Pool


_MIGRATION_HINTS = {
    "processes": "the number of worker processes is the server's jobpool.python.pool.size "
                 "(jobpool.pool.size for Java tasks)",
    "initializer": "a worker initializer is the server's jobpool.python.pool.initializer, the task name of a "
                   "@task function in its tasks dir: mark the initializer with @task (a plain function is not "
                   "found, and the Python workers then fail to boot: 'initializer task ... is not registered'); "
                   "jobpool.pool.initializer, a registered task, for Java tasks",
    "initargs": "the initializer's arguments are the server's jobpool.python.pool.initializer-args, a JSON "
                "array (jobpool.pool.initializer-args for Java tasks)",
    "maxtasksperchild": "recycling a worker after N tasks is the server's jobpool.python.pool.max-tasks-per-worker "
                        "(jobpool.pool.max-tasks-per-worker for Java tasks)",
    "context": "a start method has no equivalent: the workers are the service's own processes",
}


def _pool_arguments(args, kwargs):
    """(url, api_key, timeout, cancel_at_exit) from Pool()'s arguments, with a clear TypeError
    for multiprocessing.Pool's own."""
    for name in kwargs:
        if name in _MIGRATION_HINTS:
            raise TypeError("jobpool.Pool() takes no %s= argument: %s. Remove it from the constructor."
                            % (name, _MIGRATION_HINTS[name]))
    names = ("url", "api_key", "timeout")
    if len(args) > len(names):
        raise TypeError("jobpool.Pool() takes at most 3 positional arguments (url, api_key, timeout), %d were given"
                        % len(args))
    if args and (args[0] is None or isinstance(args[0], (int, float))):
        raise TypeError("jobpool.Pool takes the service's URL, not multiprocessing's processes (%r): write "
                        "Pool(\"http://127.0.0.1:8080\"), or Pool() with JOBPOOL_URL set; %s"
                        % (args[0], _MIGRATION_HINTS["processes"]))
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name in values:
            raise TypeError("jobpool.Pool() got multiple values for argument %r" % name)
        if name not in names + ("cancel_at_exit",):
            raise TypeError("jobpool.Pool() got an unexpected keyword argument %r" % name)
        values[name] = value
    url = values.get("url")
    source = "url"
    if url is None:
        url, source = os.environ.get(_URL_ENV) or _DEFAULT_URL, _URL_ENV
    if not isinstance(url, str):
        raise TypeError("jobpool.Pool takes the service's URL as a str (like \"http://127.0.0.1:8080\"), not %r"
                        % (url,))
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("jobpool.Pool needs the service's http:// or https:// URL (like 'http://127.0.0.1:8080'); "
                         "%s is %r" % (source, url))
    api_key = values.get("api_key")
    if api_key is None:
        api_key = os.environ.get(_API_KEY_ENV) or None
    timeout = values.get("timeout", 60.0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise TypeError("timeout must be a positive number of seconds or None, not %r" % (timeout,))
    return url, api_key, timeout, bool(values.get("cancel_at_exit", True))


def _check_chunksize(chunksize):
    if chunksize is None:
        return None
    if isinstance(chunksize, bool) or not isinstance(chunksize, int):
        raise TypeError("chunksize must be an int, not %r" % (chunksize,))
    if chunksize < 1:
        raise ValueError("Chunksize must be 1+, not {0:n}".format(chunksize))
    return chunksize


class Pool:
    """``multiprocessing.Pool`` over HTTP: the processes are the jobpool service's workers.

    ``Pool(url=None, api_key=None, timeout=60, *, cancel_at_exit=True)``: ``url`` defaults to
    ``$JOBPOOL_URL``, else ``http://127.0.0.1:8080``; ``api_key`` to ``$JOBPOOL_API_KEY``;
    ``timeout`` bounds each HTTP exchange (plus its long-poll time). The number of processes and
    their initializer are the server's settings (``jobpool.python.pool.size``, ...), so
    ``Pool(4)`` or ``processes=`` raise TypeError saying which.

    As in ``multiprocessing``, ``close()``, ``join()`` and ``terminate()`` concern this Pool
    object and the work it submitted: after ``close()`` it takes no more work, ``join()`` waits
    for what it submitted, ``terminate()`` cancels what of it has not finished (killing the workers
    running it) and runs no callback for what it cancelled. Other clients of the service are not
    affected. The service's own pool, shared by every client, has ``close_service()``,
    ``open_service()``, ``join_service()`` and ``terminate_service()`` (``POST /v1/pool/close`` and
    so on; an ``admin`` key when keys are configured). Leaving a ``with`` block terminates this
    object's unfinished work, as ``multiprocessing`` does, and so does the end of the program for a
    Pool that was neither terminated nor joined (``multiprocessing``'s exit finalizer), unless
    ``cancel_at_exit=False``.
    """

    def __init__(self, *args, **kwargs):
        url, api_key, timeout, cancel_at_exit = _pool_arguments(args, kwargs)
        self._http = _Http(url, api_key, timeout)
        self._callbacks = _CallbackRunner()
        self._watcher = _Watcher(self)
        self._state = "RUN"
        self._submitted = []  # every AsyncResult / MapResult this object handed out (imap's windows too)
        self._submitted_lock = threading.Lock()
        self._exit_cancels = cancel_at_exit
        self._pid = os.getpid()
        _live_pools.add(self)

    __init__.__signature__ = inspect.Signature([
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("url", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("api_key", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("timeout", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=60.0),
        inspect.Parameter("cancel_at_exit", inspect.Parameter.KEYWORD_ONLY, default=True),
    ])

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
        result = AsyncResult(self, job["id"], callback, error_callback)
        result._task = body["task"]
        return self._track(result)

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
        """Results as items complete (read from each window's NDJSON stream); the input is read
        lazily, window by window (see IMapIterator); a failed item raises when reached, and the
        iteration goes on with the others, as multiprocessing's does."""
        self._check_running()
        return IMapUnorderedIterator(self, _task_name(func), iterable, _check_chunksize(chunksize),
                                     _job_options(options))

    def imap(self, func, iterable, chunksize=1, **options):
        """Results in item order as soon as each and those before it are done; the input is read
        lazily, window by window (see IMapIterator); a failed item raises when reached, and the
        iteration goes on with the next."""
        self._check_running()
        return IMapIterator(self, _task_name(func), iterable, _check_chunksize(chunksize), _job_options(options))

    def _batch(self, func, iterable, starmap, chunksize, options, callback, error_callback):
        self._check_running()
        chunksize = _check_chunksize(chunksize)
        items = [list(item) for item in iterable] if starmap else list(iterable)
        body = {"task": _task_name(func), "items": items, "starmap": starmap}
        if chunksize is not None:
            body["chunksize"] = chunksize
        body.update(_job_options(options))
        status, batch = self._http.request("POST", "/v1/batches", body)
        if status not in (200, 202):
            raise JobpoolError(status, batch)
        result = MapResult(self, batch["id"], callback, error_callback)
        result._task = body["task"]
        return result

    def _stream(self, batch_id, patient=True):
        """(index, line) for each item of the batch as the server streams it, each index once. A
        stream that ends short of the batch's total (the replica serving it shut down, or the
        store was out of reach for a moment) is read again, skipping the indexes already seen.
        The stream is one of the key's long polls: a 429 too-many-waits (its first request or a
        reopening) is waited out as get() does (``_busy_pause``, then asked again), unless not
        ``patient``: then it raises ``_Busy``."""
        seen = set()
        total = None
        pause = 0.25
        while True:
            status, response = self._http.request("GET", "/v1/batches/%s/results" % batch_id, accept=_NDJSON,
                                                  stream=True, wait=24 * 3600)
            if status == 429 and patient:
                _busy_pause(None)  # every wait of the key is open: ask again once one may have answered
                continue
            if status == 503:
                pass  # the store is out of reach (store-unavailable): try again after the pause
            elif status == 404:
                raise JobForgottenError(batch_id, response, "batch")
            elif status != 200:
                _raise_if_busy(status, response)
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
                    if status == 404:
                        raise JobForgottenError(batch_id, batch, "batch")
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
            raise _remote_error(error.get("type"), error.get("message"), error.get("trace"), batch_id, index)
        return line.get("result")

    def _item_error(self, batch_id, index, error):
        """A failed item's error with its traceback, which only the item's stream line carries.
        Asked once: a stream refused as too-many-waits is not waited for (ready() and get(0) do
        not block on it), the summary is used."""
        try:
            for line_index, line in self._stream(batch_id, patient=False):
                if line_index == index and "error" in line:
                    error = line["error"]
                    break
        except (JobpoolError, OSError, ValueError):
            pass  # the summary without a trace is still the right error
        error = error or {}
        return _remote_error(error.get("type"), error.get("message"), error.get("trace"), batch_id, index)

    def _track(self, result):
        with self._submitted_lock:
            self._submitted.append(result)
            if len(self._submitted) % 4096 == 0:
                # A long-lived pool forgets what it knows to be finished: join/terminate skip those anyway.
                self._submitted = [r for r in self._submitted if not r._event.is_set()]
        if self._state == "TERMINATE":
            self._cancel([result], raise_errors=False)  # submitted while terminate() ran
        elif result._has_callbacks():
            self._watcher.add(result)
        return result

    # -- this Pool object's work (multiprocessing's close / join / terminate)

    def close(self):
        """This object takes no more work; what it submitted still runs. The service is unaffected."""
        if self._state == "RUN":
            self._state = "CLOSE"

    def join(self, timeout=None):
        """Waits until everything this object submitted is ready (after close() or terminate(), as
        in multiprocessing); False if ``timeout`` passed first (every result not yet known to be
        finished is asked about at least once, also with ``timeout=0``)."""
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._submitted_lock:
            submitted = list(self._submitted)
        for result in submitted:
            result.wait(_remaining(deadline))
            if not result._event.is_set():
                return False
        return True

    def terminate(self):
        """Takes no more work and cancels what this object submitted that has not finished
        (queued work never runs; running workers are killed). Other clients' work is untouched.

        Afterwards every result of this Pool is ready: a cancelled one raises CancelledError from
        get() and runs no callback (as multiprocessing runs none after terminate()); one that
        finished before its cancel keeps its own outcome. Raises ServiceUnreachable (or the
        JobpoolError of a refused cancel) once every result is ready, when a cancel could not
        be made."""
        self._state = "TERMINATE"
        self._watcher.stop()
        with self._submitted_lock:
            unfinished = [r for r in self._submitted if r._outcome is None]
        self._cancel(unfinished)

    def _cancel(self, results, deadline=None, request_timeout=_UNSET, at_exit=False, raise_errors=True):
        """Cancels those results' jobs and batches, a few at a time; the errors met (the first
        ServiceUnreachable stops contacting the service). Unless at exit, every result is settled:
        CancelledError without callbacks, its own outcome if it finished first, or the error."""
        lock = threading.Lock()
        todo = iter(results)
        unreachable, refused, left = [], [], []

        def cancel(result):
            if result._outcome is not None:
                return
            if unreachable or (deadline is not None and time.monotonic() >= deadline):
                if not at_exit and unreachable:
                    result._settle(_Outcome(False, unreachable[0]), callbacks=False)
                left.append(result)
                return
            try:
                status, body = self._http.request("POST", result._cancel_path(), timeout=request_timeout)
            except ServiceUnreachable as error:
                unreachable.append(error)
                left.append(result)
                if not at_exit:
                    result._settle(_Outcome(False, error), callbacks=False)
                return
            if at_exit:
                if status not in (200, 404, 409):
                    refused.append(JobpoolError(status, body))
                    left.append(result)
                return
            if status == 200:
                what = "batch" if isinstance(result, MapResult) else "job"
                result._settle(_Outcome(False, CancelledError(
                    "CancelledError", "%s %s was cancelled by Pool.terminate()" % (what, result.job_id), None,
                    result.job_id)), callbacks=False)
            elif status == 409:  # it finished meanwhile: its own outcome, with its callbacks
                try:
                    outcome = result._fetch(0.0)
                except Exception as error:  # noqa: B902 - the outcome could not be read: that error
                    outcome = _Outcome(False, error)
                result._settle(outcome or _Outcome(False, JobpoolError(status, body)))
            elif status == 404:  # forgotten (or another key's): nothing left to cancel, its outcome is lost
                what = "batch" if isinstance(result, MapResult) else "job"
                result._settle(_Outcome(False, JobForgottenError(result.job_id, body, what)), callbacks=False)
            else:  # 403 (this key may not cancel) or another refusal
                error = JobpoolError(status, body)
                refused.append(error)
                result._settle(_Outcome(False, error), callbacks=False)

        def work():
            while True:
                with lock:
                    result = next(todo, None)
                if result is None:
                    return
                cancel(result)

        helpers = []
        if len(results) > 1:
            for _ in range(min(3, len(results) - 1)):
                thread = threading.Thread(target=work, name="jobpool-cancel", daemon=True)
                try:
                    thread.start()
                except RuntimeError:
                    break
                helpers.append(thread)
        work()
        for thread in helpers:
            thread.join(_remaining(deadline))
        if at_exit:
            return left, (unreachable + refused)[:1]
        if raise_errors and (unreachable or refused):
            raise (unreachable + refused)[0]
        return left, (unreachable + refused)[:1]

    def _cancel_for_exit(self, deadline):
        """multiprocessing's exit finalizer: this Pool's unfinished work is cancelled, best effort
        and within the deadline; no callback runs."""
        self._state = "TERMINATE"
        self._watcher.stop()
        with self._submitted_lock:
            unfinished = [r for r in self._submitted if r._outcome is None]
        if not unfinished:
            return
        left, errors = self._cancel(unfinished, deadline=deadline,
                                    request_timeout=min(_EXIT_REQUEST_SECONDS, max(0.1, _remaining(deadline))),
                                    at_exit=True)
        if left:
            sys.stderr.write("jobpool: %d unfinished job(s) of %r may still run: they could not be cancelled at exit%s\n"
                             % (len(left), self, (" (%s)" % errors[0]) if errors else " in time"))

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
            try:
                joined = self._join_service_once(seconds)
            except _Busy:
                # Too many long polls open for this key: a 0-second join, then a pause (as get() does).
                joined = self._join_service_once(0.0)
                if not joined:
                    _busy_pause(deadline)
            if joined:
                return True
            if deadline is not None and _remaining(deadline) <= 0:
                return False

    def _join_service_once(self, seconds):
        """One (long) ``POST /v1/pool/join``: whether the service is idle; _Busy on too-many-waits."""
        status, body = self._http.request("POST", "/v1/pool/join", params={"timeout": "%.3f" % seconds},
                                          wait=seconds)
        if status == 200:
            return True
        if status == 202:
            return False
        _raise_if_busy(status, body)
        raise JobpoolError(status, body)

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

    def __exit__(self, exc_type, exc_value, exc_tb):
        # As multiprocessing's __exit__: terminate(), here of this object's unfinished work only.
        try:
            self.terminate()
        except JobpoolError:
            if exc_type is None:
                raise  # else the block's own exception goes on (the service is likely its cause)
        return False

    def __del__(self, _warn=warnings.warn):
        # As multiprocessing.Pool: a running pool that is garbage collected says so.
        if getattr(self, "_state", None) == "RUN":
            _warn("unclosed running jobpool.Pool %r" % self, ResourceWarning, source=self)

    def __repr__(self):
        return "<jobpool.Pool %s>" % self._http._base


# -- the end of the program


_live_pools = weakref.WeakSet()


def _cancel_at_exit():
    """At interpreter exit, as multiprocessing's finalizer terminates the pools still alive: the
    unfinished work of every Pool of this process that was not terminated is cancelled, within
    _EXIT_SECONDS in all. A joined Pool has nothing unfinished."""
    deadline = time.monotonic() + _EXIT_SECONDS
    for pool in list(_live_pools):
        try:
            if pool._pid == os.getpid() and pool._state != "TERMINATE" and pool._exit_cancels:
                pool._cancel_for_exit(deadline)
        except Exception as error:  # noqa: B902 - the exit must go on
            sys.stderr.write("jobpool: cancelling the work of %r at exit failed: %s\n" % (pool, error))


atexit.register(_cancel_at_exit)

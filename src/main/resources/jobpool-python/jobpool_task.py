"""What a jobpool Python task module imports: the ``@task`` decorator and the job context.

    from jobpool_task import task

    @task
    def square(x):
        return x * x

    @task(name="resize-image", bind=True)
    def resize(context, path, width):
        context.progress(0.5, "halfway")
        ...

A decorated function stays an ordinary function (it can still be called directly); the worker
runs it with the job's ``args`` as ``*args`` and ``kwargs`` as ``**kwargs``. With ``bind=True`` the
job's context comes first, like Celery's bound tasks; ``current()`` returns it from anywhere.
"""

import threading

__all__ = ["task", "current", "TaskContext"]

# name -> (function, bind, description); filled while the worker imports the task modules.
_registry = {}
_duplicates = []
_local = threading.local()


class TaskContext:
    """The running job: its id, the attempt (1 for the first run) and progress reports."""

    __slots__ = ("job_id", "attempt", "_report")

    def __init__(self, job_id, attempt, report):
        self.job_id = job_id
        self.attempt = attempt
        self._report = report

    def progress(self, fraction, message=None):
        """Reports progress between 0 and 1; the job shows the last report while it runs."""
        self._report(max(0.0, min(1.0, float(fraction))), None if message is None else str(message))

    def __repr__(self):
        return "TaskContext(job_id=%r, attempt=%r)" % (self.job_id, self.attempt)


def current():
    """The context of the job running in this worker, or ``None`` outside a job."""
    return getattr(_local, "context", None)


def task(function=None, *, name=None, bind=False, description=None):
    """Registers ``function`` as a jobpool task under ``name`` (default: the function's name)."""

    def register(fn):
        task_name = name or fn.__name__
        summary = description
        if summary is None:
            doc = (fn.__doc__ or "").strip()
            summary = doc.splitlines()[0] if doc else ""
        if task_name in _registry and _registry[task_name][0] is not fn:
            previous = _registry[task_name][0]
            _duplicates.append("task name '%s' is registered twice: by %s.%s and %s.%s" % (
                task_name, previous.__module__, previous.__qualname__, fn.__module__, fn.__qualname__))
        _registry[task_name] = (fn, bind, summary)
        fn.jobpool_task_name = task_name
        return fn

    if function is not None:
        return register(function)
    return register


def _set_current(context):
    _local.context = context

"""Python tasks the client tests call: the functions of the classic multiprocessing programs."""

import time

from jobpool_task import task


@task
def work(n):
    """Squares n."""
    return n ** 2


@task
def pair_sum(a, b):
    """Returns a + b."""
    return a + b


@task
def greet(name, punctuation="!"):
    """Returns a greeting."""
    return "hello " + name + punctuation


@task
def slow(seconds, value):
    """Sleeps, then returns value."""
    time.sleep(seconds)
    return value


@task
def explode(message):
    """Raises KeyError(message)."""
    raise KeyError(message)


@task
def fail_on(n, bad):
    """Returns n * 10 unless n == bad, which raises ValueError."""
    if n == bad:
        raise ValueError("bad item %d" % n)
    return n * 10

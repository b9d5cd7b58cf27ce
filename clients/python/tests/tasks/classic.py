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


@task
def nap(seconds):
    """Sleeps, then returns seconds (a single argument, for imap)."""
    time.sleep(seconds)
    return seconds


@task
def divide(a, b):
    """Returns a / b: ZeroDivisionError for b == 0, like the CPython docs' examples."""
    return a / b


@task
def reciprocal(x):
    """Returns 1 / x (ZeroDivisionError for 0), a single argument for imap."""
    return 1 / x


@task
def raise_timeout(message):
    """Raises the builtin TimeoutError (an OSError), as a task whose socket timed out would."""
    raise TimeoutError(message)


@task
def raise_config_error(message):
    """Raises configparser.Error(message): a non-builtin exception of an importable module."""
    import configparser
    raise configparser.Error(message)


@task
def raise_json_error(message):
    """Raises json.JSONDecodeError, whose constructor needs three arguments."""
    import json
    raise json.JSONDecodeError(message, "{}", 1)


@task
def decode_utf8(data):
    """Decodes the string's Latin-1 bytes as UTF-8: UnicodeDecodeError, a builtin made of five arguments."""
    return data.encode("latin-1").decode("utf-8")


@task
def raise_group(message):
    """Raises an ExceptionGroup of one ValueError."""
    raise ExceptionGroup(message, [ValueError("inner")])

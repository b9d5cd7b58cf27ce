"""A task module named like a standard module the worker imports itself."""

from jobpool_task import task


@task
def shadowed(x):
    """Never registered: the worker already has its own json."""
    return x

"""Python tasks for the service tests: ordinary ones and ones that break their worker on purpose."""

import os
import sys
import time

from jobpool_task import task

# Memory a task keeps after it returns (for max-worker-rss recycling).
_kept = []


@task
def py_square(x):
    """Returns x*x."""
    return x * x


@task(name="py_echo")
def echo_everything(*args, **kwargs):
    """Returns its arguments."""
    return {"args": list(args), "kwargs": kwargs}


@task
def py_print(*lines):
    """Prints each line to stdout, then to stderr."""
    for line in lines:
        print(line)
    for line in lines:
        print("err:" + line, file=sys.stderr)
    return len(lines)


@task
def py_fake_frame():
    """Writes bytes that look like a protocol frame, through every way a task can reach stdout."""
    fake = b'\x00\x00\x00\x2a{"kind":"succeeded","jobId":"x","result":"1"}'
    print(fake.decode("latin-1"))
    sys.stdout.buffer.write(fake + b"\n")
    sys.stdout.flush()
    os.write(1, fake + b"\n")
    return "still intact"


@task(bind=True)
def py_progress(context, steps):
    """Reports progress, then returns the job id and attempt it saw."""
    for step in range(1, steps + 1):
        context.progress(step / steps, "step %d" % step)
    return {"jobId": context.job_id, "attempt": context.attempt}


@task
def py_raise(message):
    """Raises ValueError(message)."""
    raise ValueError(message)


@task
def py_exit(code):
    """sys.exit(code)."""
    sys.exit(code)


@task
def py_os_exit(code):
    """os._exit(code)."""
    os._exit(code)


@task
def py_memory_bomb():
    """Allocates until the worker's memory limit stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


@task
def py_keep_memory(megabytes):
    """Allocates and keeps megabytes of memory after returning (a leak)."""
    block = bytearray(megabytes * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    _kept.append(block)
    return os.getpid()


@task
def py_loop():
    """Never returns."""
    while True:
        pass


@task
def py_sleep(seconds):
    """Sleeps."""
    time.sleep(seconds)
    return seconds


@task
def py_env(name):
    """The value of an environment variable in the worker, or None."""
    return os.environ.get(name)


@task
def py_spawn_and_hang(seconds):
    """Starts a child 'sleep <seconds>', then never returns."""
    import subprocess
    subprocess.Popen(["sleep", str(seconds)])
    while True:
        time.sleep(1)


@task
def py_descriptor_output(word):
    """Writes through child processes' stdout and stderr and straight to descriptors 1 and 2."""
    import subprocess
    subprocess.run(["echo", "child out " + word], check=True)
    subprocess.run(["sh", "-c", "echo child err " + word + " >&2"], check=True)
    os.write(1, ("fd1 " + word + "\n").encode())
    os.write(2, ("fd2 " + word + "\n").encode())
    return word


class Unprintable(Exception):
    """An exception whose text cannot be had."""

    def __str__(self):
        raise RuntimeError("no text for you")


@task
def py_raise_unprintable():
    """Raises an exception whose __str__ raises."""
    raise Unprintable()


@task
def py_leave_a_sleep(seconds):
    """Starts `sleep seconds` in a session of its own and returns its pid: a process left behind."""
    import subprocess
    return subprocess.Popen(["sleep", str(seconds)], start_new_session=True).pid


@task
def py_break_standard_streams(rendezvous, workers):
    """Once `workers` jobs of it run at once (one per worker), leaves sys.stdout / sys.stderr
    rebound, descriptor 1 closed and descriptor 2 on /dev/null; returns the worker's pid."""
    import io
    open(os.path.join(rendezvous, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 20
    while len(os.listdir(rendezvous)) < workers and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the other worker's job, bounded
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    os.close(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    return os.getpid()


@task
def py_close_output_pipe():
    """Closes every descriptor of the pipe behind descriptor 1, the worker's own ends included."""
    pipe = os.fstat(1)
    for fd in [int(name) for name in os.listdir("/proc/self/fd")]:
        try:
            found = os.fstat(fd)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (pipe.st_dev, pipe.st_ino):
            os.close(fd)
    return os.getpid()


@task
def py_lone_surrogate(*args):
    """Returns a string that has no UTF-8 form."""
    return "\ud800"


@task
def py_nested(depth):
    """Returns lists nested depth deep: deeper than the stack, json.dumps raises RecursionError."""
    value = []
    for _ in range(depth):
        value = [value]
    return value


@task
def py_print_and_raise_lone_surrogate():
    """Prints and raises text with a lone surrogate."""
    print("printed \ud800 text")
    raise ValueError("raised \ud800 text")


@task
def py_keyboard_interrupt():
    """Raises KeyboardInterrupt(), an exception without a message."""
    raise KeyboardInterrupt()


@task
def py_interrupt_on(x):
    """Returns x, but raises KeyboardInterrupt (a BaseException, not an Exception) for 3."""
    if x == 3:
        raise KeyboardInterrupt("stop at 3")
    return x


@task
def py_write_mark(text):
    """Writes to descriptor 1 the fixed byte string an earlier worker used as its end-of-job mark."""
    os.write(1, b"before\n\0jobpool-drained\0")
    os.write(1, ("after " + text + "\n").encode())


@task
def py_leave_a_printing_thread(secret, seconds):
    """Leaves a thread printing `secret` every 20 ms for `seconds`, through print and descriptor 1; returns the worker's pid."""
    import threading
    import time

    def chatter():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            print("thread " + secret, flush=True)
            os.write(1, ("fd " + secret + "\n").encode())
            time.sleep(0.02)

    threading.Thread(target=chatter, name="chatter", daemon=True).start()
    return os.getpid()


@task
def py_power_of_ten(exponent):
    """Returns 10 ** exponent, an integer of exponent + 1 digits."""
    return 10 ** exponent

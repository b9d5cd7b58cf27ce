"""A jobpool Python worker process: runs Python tasks, one job at a time, for the server.

It speaks the same protocol as the Java worker (io.jobpool.protocol): frames of a 4-byte
big-endian length and that many bytes of UTF-8 JSON, over the process's stdin and stdout.

Before any task module is imported the real stdout is moved to a private descriptor for frames,
descriptors 1 and 2 are pointed at a pipe the worker reads (what C code and child processes
write there is the running job's log too), descriptor 0 at /dev/null, and sys.stdout /
sys.stderr are replaced by streams that turn what a task prints into output frames. So nothing a
task writes, from Python or from C, can corrupt a frame or land in another job's log. Exit codes
are the Java worker's (ExitCodes.java).

Standard library only; CPython 3.9 or later.
"""

import codecs
import gc
import importlib
import io
import json
import os
import queue
import struct
import sys
import threading
import time
import traceback
import weakref

EXIT_OK = 0
EXIT_PROTOCOL_ERROR = 76
EXIT_BOOT_FAILURE = 78
# What a JVM started with -XX:+ExitOnOutOfMemoryError exits with: a task that ran out of memory
# takes its worker with it, as on the Java side, and a fresh process replaces it.
EXIT_OUT_OF_MEMORY = 3

MAX_FRAME_BYTES = 256 * 1024 * 1024
# Longest trace kept per failed item of a batch chunk: a chunk of thousands of failures stays small.
MAX_ITEM_TRACE_CHARS = 4000
FLUSH_CHARS = 8 * 1024
_THIS_FILE = __file__


class Channel:
    """The worker's side of the pipe to the server; one lock so frames never interleave."""

    def __init__(self, fd):
        self._out = os.fdopen(fd, "wb", buffering=64 * 1024)
        self._lock = threading.Lock()

    def send(self, message):
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates (printed, or in an exception's text) have no UTF-8: U+FFFD instead.
            payload = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
        with self._lock:
            try:
                self._out.write(struct.pack(">I", len(payload)))
                self._out.write(payload)
                self._out.flush()
            except (BrokenPipeError, OSError):
                # The server is gone; there is nobody to report to.
                server_gone()


def read_frame(stream):
    """One message, or None when the server closed the pipe."""
    header = stream.read(4)
    if len(header) < 4:
        return None
    (length,) = struct.unpack(">I", header)
    if length <= 0 or length > MAX_FRAME_BYTES:
        raise ValueError("frame length %d is out of range" % length)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    message = json.loads(payload.decode("utf-8"))
    if not isinstance(message, dict) or "kind" not in message:
        raise ValueError("frame is not a protocol message")
    return message


class CapturedOutput:
    """Routes text to the running job's log (output frames) or, between jobs, to the real stderr.

    Text is sent at each line end or every 8 KiB, so the log survives a worker that dies mid-job.
    """

    def __init__(self, channel, real_err):
        self._channel = channel
        self._real_err = real_err
        self._lock = threading.RLock()
        self._buffer = []
        self._size = 0
        self._job_id = None

    def begin_job(self, job_id):
        with self._lock:
            self.flush()
            self._job_id = job_id

    def end_job(self):
        with self._lock:
            self.flush()
            self._job_id = None

    def write(self, text):
        with self._lock:
            self._buffer.append(text)
            self._size += len(text)
            if self._size >= FLUSH_CHARS or text.endswith("\n"):
                self.flush()

    def flush(self):
        with self._lock:
            if not self._buffer:
                return
            text = "".join(self._buffer)
            self._buffer = []
            self._size = 0
            if self._job_id is not None:
                self._channel.send({"kind": "output", "jobId": self._job_id, "text": text})
            else:
                self._real_err.write(text)
                self._real_err.flush()


class DescriptorCapture:
    """Descriptors 1 and 2, which child processes and C code write to: a pipe that a thread reads
    into the captured output, so what they write is the running job's log, as print() is. (Left on
    the worker's stderr, it went to the server log and into a later job's WorkerLostError trace.)

    A job's output is complete once its end is marked in the pipe itself: everything written
    before the mark is read and captured before the job's log is closed."""

    # Random per worker: a task that prints a fixed mark (dumping binary data, say) would end a later
    # job's log before the real one, and the rest of that log went to the server's.
    MARK = b"\0jobpool-drained-" + os.urandom(8).hex().encode("ascii") + b"\0"

    def __init__(self, captured):
        self._captured = captured
        self._read_end, self._write_end = os.pipe()
        pipe = os.fstat(self._write_end)
        self._pipe = (pipe.st_dev, pipe.st_ino)
        os.dup2(self._write_end, 1)
        os.dup2(self._write_end, 2)
        self._marks = threading.Condition()
        self._marked = 0
        self._seen = 0
        self._pump_thread = threading.Thread(target=self._pump, name="jobpool-descriptor-capture", daemon=True)
        self._pump_thread.start()

    def _is_pipe(self, fd):
        try:
            status = os.fstat(fd)
        except OSError:
            return False
        return (status.st_dev, status.st_ino) == self._pipe

    def intact(self):
        """Whether the worker's own ends of the pipe are still open and read (a task may close any descriptor)."""
        return self._is_pipe(self._write_end) and self._is_pipe(self._read_end) and self._pump_thread.is_alive()

    def restore(self):
        """Points descriptors 1 and 2 at the pipe again where a task closed or redirected them; False
        if that cannot be done because the worker's own ends of the pipe are gone."""
        if not self.intact():
            return False
        for fd in (1, 2):
            if not self._is_pipe(fd):
                try:
                    os.dup2(self._write_end, fd)
                except OSError:
                    return False
        return True

    def drain(self, timeout=2.0):
        """Waits until what was written before now is captured (at most ``timeout`` seconds)."""
        if not self.intact():
            return  # its descriptor numbers may be another file's by now: nothing to mark
        with self._marks:
            self._marked += 1
            ticket = self._marked
        try:
            os.write(self._write_end, self.MARK)
        except OSError:
            return
        with self._marks:
            self._marks.wait_for(lambda: self._seen >= ticket, timeout)

    def _pump(self):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = b""
        while True:
            try:
                data = os.read(self._read_end, 64 * 1024)
            except OSError:
                return
            if not data:
                return
            data = pending + data
            at = data.find(self.MARK)
            while at >= 0:
                self._emit(decoder.decode(data[:at], final=True))
                decoder.reset()
                data = data[at + len(self.MARK):]
                self._captured.flush()
                with self._marks:
                    self._seen += 1
                    self._marks.notify_all()
                at = data.find(self.MARK)
            # The end of what was read may be the start of a mark whose rest is still in the pipe.
            keep = next((k for k in range(min(len(self.MARK) - 1, len(data)), 0, -1) if self.MARK.startswith(data[-k:])), 0)
            pending = data[len(data) - keep:]
            self._emit(decoder.decode(data[:len(data) - keep]))

    def _emit(self, text):
        if text:
            self._captured.write(text)


class CapturingStream(io.TextIOBase):
    """What a task sees as sys.stdout and sys.stderr."""

    def __init__(self, captured, name):
        super().__init__()
        self._captured = captured
        self._name = name
        self.buffer = _CapturingBytes(self)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "replace"

    @property
    def name(self):
        return self._name

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        self._captured.write(text)
        return len(text)

    def flush(self):
        self._captured.flush()


class _CapturingBytes(io.RawIOBase):
    """sys.stdout.buffer: bytes are decoded as UTF-8 and captured like text."""

    def __init__(self, text_stream):
        super().__init__()
        self._text = text_stream

    def writable(self):
        return True

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)

    def flush(self):
        self._text.flush()


class StandardStreams:
    """What every job starts with, whatever the job before it did: sys.stdout and sys.stderr the
    capturing streams, descriptors 1 and 2 the capture pipe (colorama.init(), `sys.stdout = open(...)`
    or os.close(1) in one task would otherwise take the log of every later job on the worker)."""

    def __init__(self, captured, descriptors):
        self._captured = captured
        self._descriptors = descriptors
        self._stdout = None
        self._stderr = None

    def restore(self):
        """Rebinds and re-points them; False if the descriptors cannot be restored."""
        if self._stdout is None or self._stdout.closed:
            self._stdout = CapturingStream(self._captured, "<stdout>")
        if self._stderr is None or self._stderr.closed:
            self._stderr = CapturingStream(self._captured, "<stderr>")
        sys.stdout = self._stdout
        sys.stderr = self._stderr
        return self._descriptors.restore()


def load_tasks(tasks_dir):
    """Imports every module and package in tasks_dir; a failure fails the boot."""
    import jobpool_task

    if tasks_dir:
        tasks_dir = os.path.abspath(tasks_dir)
        if not os.path.isdir(tasks_dir):
            raise FileNotFoundError("tasks directory %s does not exist" % tasks_dir)
        sys.path.insert(0, tasks_dir)
        for entry in sorted(os.listdir(tasks_dir)):
            path = os.path.join(tasks_dir, entry)
            if entry.startswith((".", "_")):
                continue
            if entry.endswith(".py") and os.path.isfile(path):
                import_task_module(entry[:-3], path)
            elif os.path.isfile(os.path.join(path, "__init__.py")):
                import_task_module(entry, os.path.join(path, "__init__.py"))
    if jobpool_task._duplicates:
        raise RuntimeError("; ".join(jobpool_task._duplicates))
    return jobpool_task


def import_task_module(name, path):
    """Imports the task module at path; an ImportError if ``name`` is another module (one the worker
    or an earlier module already imported, or a built-in), whose tasks would otherwise be missing unsaid."""
    module = importlib.import_module(name)
    found = getattr(module, "__file__", None)
    if found is None or os.path.realpath(found) != os.path.realpath(path):
        raise ImportError("task module %s shadows the module '%s' that is already imported (from %s): rename it"
                          % (path, name, found or "built-in"), name=name, path=path)
    return module


def message_of(error):
    """str(error), or what can be said of an exception whose __str__ itself fails."""
    try:
        return str(error) or None
    except Exception as broken:  # noqa: B902 - the task's exception must still be reported
        return "<unprintable %s: its __str__ raised %s>" % (type(error).__name__, type(broken).__name__)


def type_name(error):
    cls = type(error)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return module + "." + cls.__qualname__


def format_trace(error):
    tb = error.__traceback__
    # Leave out the worker's own frames: the trace starts in task code.
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    try:
        return "".join(traceback.format_exception(type(error), error, tb))
    except Exception:  # noqa: B902 - an exception whose __str__ fails breaks the formatter too
        return "".join(traceback.format_tb(tb)) + "%s: %s\n" % (type_name(error), message_of(error))


class ProgressReports:
    """The running job's progress reports on their way to the server: at most one frame every
    INTERVAL seconds, the latest report winning (as ProgressReports.java does). A task reporting in
    its innermost loop would otherwise send the server a frame per call, for reports the server
    stores only every 500 ms. The first report goes out at once, later ones within the interval
    wait for a timer, and the last one still held back goes out before the job's outcome."""

    INTERVAL = 0.1

    def __init__(self, channel):
        self._channel = channel
        self._lock = threading.Lock()
        self._job_id = None
        self._held_back = None
        self._last_sent = 0.0
        self._timer = None

    def begin(self, job_id):
        with self._lock:
            self._job_id = job_id
            self._held_back = None
            self._last_sent = time.monotonic() - self.INTERVAL

    def report(self, job_id, fraction, message):
        with self._lock:
            if job_id != self._job_id:
                return  # a thread the task left running after its job ended: the outcome is already out
            frame = {"kind": "progress", "jobId": job_id, "fraction": fraction, "message": message}
            now = time.monotonic()
            if now - self._last_sent >= self.INTERVAL:
                self._send(frame, now)
                return
            self._held_back = frame
            if self._timer is None:
                self._timer = threading.Timer(self._last_sent + self.INTERVAL - now, self._flush)
                self._timer.daemon = True
                OWN_THREADS.add(self._timer)
                self._timer.start()

    def end(self):
        """Sends the report still held back, if any, and takes no more for this job."""
        with self._lock:
            if self._held_back is not None:
                self._send(self._held_back, time.monotonic())
            self._job_id = None

    def _flush(self):
        with self._lock:
            self._timer = None
            if self._held_back is None:
                return
            now = time.monotonic()
            wait = self._last_sent + self.INTERVAL - now
            if wait > 0:
                # This timer fired late and a report went out inline meanwhile: sending now would
                # make two frames within one interval, so the held-back one waits out the rest.
                self._timer = threading.Timer(wait, self._flush)
                self._timer.daemon = True
                OWN_THREADS.add(self._timer)
                self._timer.start()
                return
            self._send(self._held_back, now)

    def _send(self, frame, now):
        self._held_back = None
        self._last_sent = now
        self._channel.send(frame)


# The worker's own threads started during a job (progress timers), never taken for a task's.
OWN_THREADS = weakref.WeakSet()

# How long threads a task started may take to end after it returned (one that was just finishing).
LEFTOVER_GRACE = 0.05


def leftover_threads(before):
    """What a job left running since `before`, described for the log, or None. What such threads
    print lands in whichever job the worker runs next, maybe another API key's, so a worker with
    them runs no other job (the pool replaces it)."""
    deadline = time.monotonic() + LEFTOVER_GRACE
    current = threading.current_thread()
    left = []
    for thread in threading.enumerate():
        if thread in before or thread is current or thread in OWN_THREADS:
            continue
        try:
            thread.join(max(0.0, deadline - time.monotonic()))
        except (RuntimeError, AssertionError):
            pass  # a thread started outside Python (C code): it cannot be joined, and counts
        if thread.is_alive():
            left.append(thread)
    if not left:
        return None
    names = ", ".join(thread.name for thread in left[:5]) + (", ..." if len(left) > 5 else "")
    return "%d thread(s): %s" % (len(left), names)


class Runner:
    """Runs one job at a time and turns its outcome into exactly one result frame."""

    def __init__(self, registry, channel, captured, descriptors, streams, max_result_bytes, real_err):
        self._registry = registry
        self._channel = channel
        self._captured = captured
        self._descriptors = descriptors
        self._streams = streams
        self._max_result_bytes = max_result_bytes
        self._real_err = real_err
        self._progress = ProgressReports(channel)

    def catalogue(self):
        return [{"name": name, "description": entry[2]} for name, entry in sorted(self._registry._registry.items())]

    def run_initializer(self, name, args_json):
        entry = self._registry._registry.get(name)
        if entry is None:
            raise LookupError("initializer task '%s' is not registered" % name)
        self._call(entry, "initializer", 1, json.loads(args_json or "[]"), {})

    def run(self, job):
        job_id = job["jobId"]
        before = set(threading.enumerate())
        self._streams.restore()
        self._captured.begin_job(job_id)
        self._progress.begin(job_id)
        sound = True
        try:
            outcome = self._execute(job)
        except SystemExit as stop:
            self._exit_from_task(stop)
        except MemoryError as error:
            self._out_of_memory(error)
        except BaseException as error:  # noqa: B902 - every failure of task code is the job's failure
            outcome = {"kind": "failed", "jobId": job_id, "type": type_name(error),
                       "message": message_of(error), "trace": format_trace(error)}
        finally:
            # The last progress report and what the task printed go before the result, so the
            # finished job shows both complete.
            self._progress.end()
            sound = self._streams.restore()
            self._descriptors.drain()
            self._captured.end_job()
            self._registry._set_current(None)
        leftover = leftover_threads(before)
        if leftover is not None:
            # Ahead of the outcome, so the pool never hands this worker another job.
            self._channel.send({"kind": "retiring", "jobId": job_id, "reason": "its task left %s running" % leftover})
        self._channel.send(outcome)
        if not sound:
            # Later jobs' output through descriptors 1 and 2 would be lost or block: a fresh worker replaces this one.
            self._real_err.write("jobpool python worker: the task closed the worker's output pipe; exiting after its job\n")
            self._real_err.flush()
            os._exit(EXIT_OK)

    def _execute(self, job):
        job_id = job["jobId"]
        entry = self._registry._registry.get(job["task"])
        if entry is None:
            return {"kind": "failed", "jobId": job_id, "type": "UnknownTaskError",
                    "message": "no task named '%s' is registered in this worker" % job["task"], "trace": None}
        if job.get("chunk"):
            return self._execute_chunk(job, entry)
        args = json.loads(job.get("args") or "[]")
        kwargs = json.loads(job.get("kwargs") or "{}")
        if not isinstance(args, list):
            args = [args]
        if not isinstance(kwargs, dict):
            raise TypeError("kwargs must be a JSON object")
        value = self._call(entry, job_id, job.get("attempt", 1), args, kwargs)
        try:
            result = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            size = len(result.encode("utf-8"))  # a lone surrogate has no UTF-8 (UnicodeEncodeError is a ValueError)
        except (TypeError, ValueError, RecursionError) as error:  # RecursionError: nested deeper than the stack
            return {"kind": "failed", "jobId": job_id, "type": "ResultNotSerializableError",
                    "message": "the task returned a value that is not JSON: %s" % error, "trace": None}
        if size > self._max_result_bytes:
            return {"kind": "failed", "jobId": job_id, "type": "ResultTooLargeError",
                    "message": "result is %d bytes; the limit is %d (jobpool.jobs.max-result-bytes)"
                               % (size, self._max_result_bytes), "trace": None}
        return {"kind": "succeeded", "jobId": job_id, "result": result}

    def _execute_chunk(self, job, entry):
        """A batch chunk (Pool.map with a chunksize): each item runs here in turn; one item's failure is
        recorded at its index and never costs the others. Items that succeeded in the chunk's previous
        attempt are not run again. The answer is one frame with every item's outcome, in order, or only
        their values when every item returned on its first attempt."""
        job_id = job["jobId"]
        items = json.loads(job.get("args") or "[]")
        previous = json.loads(job["previous"]) if job.get("previous") else None
        outcomes = []
        reported_percent = 0
        for index, args in enumerate(items):
            before = previous[index] if previous is not None and index < len(previous) else None
            if before is not None and "result" in before:
                outcomes.append(before)
                continue
            outcome = self._run_item(entry, job_id, job.get("attempt", 1), args)
            attempts = 1 if before is None else int(before.get("attempts", 1)) + 1
            if attempts > 1:
                outcome["attempts"] = attempts
            outcomes.append(outcome)
            percent = (index + 1) * 100 // len(items)
            if percent >= reported_percent + 5:
                reported_percent = percent
                self._progress.report(job_id, percent / 100.0, "%d of %d items" % (index + 1, len(items)))
        if previous is None and all("error" not in outcome for outcome in outcomes):
            # Every item returned on its first attempt: only the values, a third of the outcomes' size.
            answer = {"results": [outcome["result"] for outcome in outcomes]}
        else:
            answer = outcomes
        return {"kind": "succeeded", "jobId": job_id,
                "result": json.dumps(answer, separators=(",", ":"), ensure_ascii=False, allow_nan=False)}

    def _run_item(self, entry, job_id, attempt, args):
        try:
            value = self._call(entry, job_id, attempt, args if isinstance(args, list) else [args], {})
        except (MemoryError, SystemExit):
            raise  # the worker exits on them and the chunk is lost as a whole, as a single job's exit is
        except BaseException as error:  # noqa: B902 - one item's failure (KeyboardInterrupt, CancelledError too) is its own outcome
            return {"error": {"type": type_name(error), "message": message_of(error),
                              "trace": format_trace(error)[:MAX_ITEM_TRACE_CHARS]}}
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            size = len(text.encode("utf-8"))
        except (TypeError, ValueError, RecursionError) as error:
            return {"error": {"type": "ResultNotSerializableError", "trace": None,
                              "message": "the task returned a value that is not JSON: %s" % error}}
        if size > self._max_result_bytes:
            return {"error": {"type": "ResultTooLargeError", "trace": None,
                              "message": "result is %d bytes; the limit is %d (jobpool.jobs.max-result-bytes)"
                                         % (size, self._max_result_bytes)}}
        return {"result": value}

    def _call(self, entry, job_id, attempt, args, kwargs):
        function, bind, _ = entry
        progress = self._progress

        def report(fraction, message):
            progress.report(job_id, fraction, message)

        context = self._registry.TaskContext(job_id, attempt, report)
        self._registry._set_current(context)
        if bind:
            return function(context, *args, **kwargs)
        return function(*args, **kwargs)

    def _exit_from_task(self, stop):
        """sys.exit() in a task ends the worker with that status, as System.exit does in Java."""
        self._descriptors.drain()
        self._captured.end_job()
        code = stop.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            self._real_err.write("%s\n" % code)
            code = 1
        self._real_err.write("jobpool python worker: the task called sys.exit(%r); exiting\n" % (stop.code,))
        self._real_err.flush()
        os._exit(code & 0xFF)

    def _out_of_memory(self, error):
        self._descriptors.drain(timeout=0.5)
        self._captured.end_job()
        self._real_err.write("jobpool python worker: the task ran out of memory; exiting so a fresh worker replaces this one\n")
        self._real_err.write(format_trace(error))
        self._real_err.flush()
        os._exit(EXIT_OUT_OF_MEMORY)


def kill_descendants():
    """SIGKILLs every process this worker started, and theirs: with the server gone nobody else
    knows of them (the Java worker does the same with ProcessHandle.descendants())."""
    import signal
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not readable
    pending = list(children.get(os.getpid(), []))
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def server_gone():
    """No worker, and no process of its tasks, outlives its server, even mid-job."""
    try:
        kill_descendants()
    finally:
        os._exit(EXIT_OK)


def read_frames(stream, inbox, real_err):
    while True:
        try:
            message = read_frame(stream)
        except (ValueError, UnicodeDecodeError) as error:
            real_err.write("jobpool python worker: protocol error, exiting: %s\n" % error)
            real_err.flush()
            os._exit(EXIT_PROTOCOL_ERROR)
        except OSError:
            message = None
        if message is None:
            server_gone()
        inbox.put(message)


def take_over_standard_streams():
    """Frames get private copies of stdin and stdout, the worker's own messages one of stderr;
    descriptor 0 reads /dev/null (DescriptorCapture takes 1 and 2)."""
    frames_in = os.fdopen(os.dup(0), "rb", buffering=64 * 1024)
    frames_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    real_err = io.TextIOWrapper(os.fdopen(os.dup(2), "wb", buffering=0), encoding="utf-8",
                                errors="replace", write_through=True)
    return frames_in, frames_out, real_err


def parse_arguments(argv):
    """``--tasks-dir DIR`` and ``--memory-limit BYTES`` (RLIMIT_AS; 0 leaves it unlimited).
    Parsed by hand: argparse alone costs a noticeable part of the worker's start."""
    options = {"--tasks-dir": None, "--memory-limit": "0"}
    pairs = iter(argv)
    for name in pairs:
        if name not in options:
            raise SystemExit("jobpool_worker: unknown option %s" % name)
        options[name] = next(pairs, None)
    return options["--tasks-dir"], int(options["--memory-limit"] or 0)


def main(argv):
    tasks_dir, memory_limit = parse_arguments(argv)
    sys.dont_write_bytecode = True
    if hasattr(sys, "set_int_max_str_digits"):
        # CPython 3.11+ refuses to write an int of more than 4300 digits as text: a task's big
        # integer result failed as not JSON. Arguments cannot carry such numbers (the service
        # bounds a JSON number at 100 digits), so lifting the guard costs nothing here.
        sys.set_int_max_str_digits(0)
    frames_in, frames_out, real_err = take_over_standard_streams()
    channel = Channel(frames_out)
    captured = CapturedOutput(channel, real_err)
    descriptors = DescriptorCapture(captured)
    streams = StandardStreams(captured, descriptors)
    streams.restore()

    try:
        init = read_frame(frames_in)
        if init is None:
            os._exit(EXIT_OK)
        if init.get("kind") != "init":
            raise RuntimeError("first frame was not init but %r" % init.get("kind"))
        if memory_limit > 0:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        registry = load_tasks(tasks_dir)
        runner = Runner(registry, channel, captured, descriptors, streams, int(init.get("maxResultBytes") or MAX_FRAME_BYTES), real_err)
        initializer = init.get("initializer")
        if initializer:
            runner.run_initializer(initializer, init.get("initializerArgs"))
        captured.flush()
        channel.send({"kind": "ready", "pid": os.getpid(), "tasks": runner.catalogue()})
    except BaseException as failure:  # noqa: B902 - anything before ready is a boot failure
        descriptors.drain(timeout=0.5)
        captured.flush()
        real_err.write("".join(traceback.format_exception(type(failure), failure, failure.__traceback__)))
        # The summary goes last: the server keeps the last lines of a worker's stderr.
        real_err.write("jobpool python worker could not boot: %s: %s\n" % (type_name(failure), message_of(failure)))
        real_err.flush()
        os._exit(EXIT_BOOT_FAILURE)

    inbox = queue.Queue()
    threading.Thread(target=read_frames, args=(frames_in, inbox, real_err),
                     name="jobpool-protocol-reader", daemon=True).start()
    while True:
        message = inbox.get()
        kind = message.get("kind")
        if kind == "run":
            runner.run(message)
            gc.collect(0)
        elif kind == "shutdown":
            captured.flush()
            os._exit(EXIT_OK)
        else:
            real_err.write("jobpool python worker: unexpected %r frame, exiting\n" % kind)
            real_err.flush()
            os._exit(EXIT_PROTOCOL_ERROR)


if __name__ == "__main__":
    main(sys.argv[1:])

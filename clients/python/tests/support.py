"""Shared by the client tests: the server's URL comes from JOBPOOL_URL (run-tests.sh sets it)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

URL = os.environ.get("JOBPOOL_URL", "http://127.0.0.1:8080")

# The same functions as tasks/classic.py, run locally by multiprocessing for comparison.
# (jobpool's @task leaves a function as it is; these are plain copies so the test process
# needs no jobpool_task module.)


def work(n):
    return n ** 2


def pair_sum(a, b):
    return a + b


def fail_on(n, bad):
    if n == bad:
        raise ValueError("bad item %d" % n)
    return n * 10


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StubService:
    """A stand-in for the service on a free loopback port, for tests that need no jar: ``routes``
    maps (method, path) to a function(handler, body) returning (status, JSON-able body) (bytes are
    sent as they are, as NDJSON), (method, "*") for any other path of that method; every
    request is recorded in ``requests`` as (method, path, headers, body). An unknown route is 404.
    A route may block (a service that never answers) on ``release``, which stop() sets."""

    def __init__(self, routes):
        import http.server
        import json
        import threading

        self.routes = routes
        self.requests = []
        self.release = threading.Event()
        self.seen = threading.Condition()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                path = self.path.split("?", 1)[0]
                with stub.seen:
                    stub.requests.append((self.command, path, dict(self.headers), body))
                    stub.seen.notify_all()
                route = stub.routes.get((self.command, path)) or stub.routes.get((self.command, "*"))
                status, answer = route(self, body) if route else (404, {"type": "not-found"})
                raw_answer = isinstance(answer, bytes)  # a result stream's NDJSON lines, sent as they are
                data = answer if raw_answer else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-ndjson" if raw_answer else "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (the point of a route that never answers)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout):
        """Waits (bounded) until predicate(requests) holds; whether it did."""
        with self.seen:
            return self.seen.wait_for(lambda: predicate(self.requests), timeout)

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def wait_until(condition, timeout, interval=0.05):
    """Polls condition() until it holds or timeout seconds passed (bounded); its last value."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)  # polling a condition on the server, with a bound

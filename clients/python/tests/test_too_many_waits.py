"""Tests that a 429 too-many-waits (the per-key long-poll budget, jobpool.security.max-long-polls-
per-key, which every caller of an open service shares) is waited out by every wait of the client as
get() waits it out: imap's and imap_unordered's result stream (its first request and a reopening
after it ended short) and join_service(); other refusals keep raising. A stand-in service plays
the server's side, so the 429 is certain; it needs no jar."""

import json
import threading
import unittest
import urllib.parse
from unittest import mock

from support import StubService

import jobpool
from jobpool import _client

BUSY = (429, {"type": "too-many-waits", "title": "Too many waiting requests", "status": 429,
              "detail": "this caller already has 200 waiting requests open "
                        "(jobpool.security.max-long-polls-per-key); retry when one has answered"})
NDJSON = "application/x-ndjson"


def _timeout(handler):
    """The request's ?timeout= in seconds (0 when absent)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)
    return float(query.get("timeout", ["0"])[0])


class _Batch:
    """Batch B of 4 items (results 0, 1, 4, 9). Its NDJSON result stream is answered, one request
    after the other, by ``streams``: "busy" (429 too-many-waits), a (status, problem) refusal, or
    the indexes to send before the stream ends; the last answer repeats. Its JSON results (map,
    join) are ``results``."""

    def __init__(self, streams, results=(200, {"results": [0, 1, 4, 9]})):
        self.streams = list(streams)
        self.results = results
        self.lock = threading.Lock()
        self.count = 0

    def routes(self):
        return {("POST", "/v1/batches"): lambda handler, body: (202, {"id": "B", "counts": {"total": 4}}),
                ("GET", "/v1/batches/B"): lambda handler, body: (200, {"id": "B", "counts": {"total": 4}}),
                ("GET", "/v1/batches/B/results"): self._results}

    def _results(self, handler, body):
        if handler.headers.get("Accept") != NDJSON:
            return self.results
        with self.lock:
            answer = self.streams[min(self.count, len(self.streams) - 1)]
            self.count += 1
        if answer == "busy":
            return BUSY
        if isinstance(answer, tuple):
            return answer
        return 200, b"".join(json.dumps({"index": i, "result": i * i}).encode() + b"\n" for i in answer)


def _drain(iterator, items=4):
    """Every outcome of the iterator, bounded: values, or (status, type) of a JobpoolError."""
    outcomes = []
    for _ in range(items + 1):
        try:
            outcomes.append(iterator.next(timeout=30))
        except StopIteration:
            return outcomes
        except jobpool.JobpoolError as error:
            outcomes.append((error.status, error.type))
    raise AssertionError("no end after %d items: %r" % (items, outcomes))


class _StandIn(unittest.TestCase):

    def setUp(self):
        # The pause after a 429 is the service's Retry-After (1 s); shorter here, the same path.
        patcher = mock.patch.object(_client, "_BUSY_PAUSE", 0.05, create=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.stub = None

    def serve(self, routes):
        self.stub = StubService(routes)
        self.addCleanup(self.stub.stop)
        pool = jobpool.Pool(self.stub.url, timeout=5)
        self.addCleanup(self._finish, pool)
        return pool

    @staticmethod
    def _finish(pool):
        pool.close()
        pool.join(timeout=30)

    def stream_requests(self):
        return [r for r in self.stub.requests if r[1] == "/v1/batches/B/results" and r[2].get("Accept") == NDJSON]


class StreamTest(_StandIn):

    def test_imap_waits_out_too_many_waits_on_its_stream_like_get(self):
        batch = _Batch(["busy", "busy", [0, 1, 2, 3]])
        pool = self.serve(batch.routes())
        self.assertEqual(_drain(pool.imap("work", range(4))), [0, 1, 4, 9])
        self.assertEqual(len(self.stream_requests()), 3)

    def test_imap_unordered_waits_out_too_many_waits_on_its_stream_like_get(self):
        batch = _Batch(["busy", [2, 0, 3, 1]])
        pool = self.serve(batch.routes())
        self.assertEqual(sorted(_drain(pool.imap_unordered("work", range(4)))), [0, 1, 4, 9])
        self.assertEqual(len(self.stream_requests()), 2)

    def test_a_stream_reopened_after_it_ended_short_waits_out_too_many_waits(self):
        batch = _Batch([[0, 1], "busy", "busy", [0, 1, 2, 3]])
        pool = self.serve(batch.routes())
        self.assertEqual(_drain(pool.imap("work", range(4))), [0, 1, 4, 9])
        self.assertEqual(len(self.stream_requests()), 4)

    def test_another_refusal_of_the_stream_still_fails_the_items(self):
        forbidden = (403, {"type": "forbidden", "status": 403, "detail": "this key may not read"})
        batch = _Batch([forbidden])
        pool = self.serve(batch.routes())
        self.assertEqual(_drain(pool.imap("work", range(4))), [(403, "forbidden")] * 4)
        self.assertEqual(len(self.stream_requests()), 1)

    def test_a_full_queue_still_refuses_the_first_window_at_the_call(self):
        full = (429, {"type": "queue-full", "status": 429, "detail": "the queue holds its capacity; retry later"})
        pool = self.serve({("POST", "/v1/batches"): lambda handler, body: full})
        with self.assertRaises(jobpool.JobpoolError) as raised:
            pool.imap("work", range(4))
        self.assertEqual((raised.exception.status, raised.exception.type), (429, "queue-full"))

    def test_a_failed_map_item_does_not_wait_for_its_trace_behind_too_many_waits(self):
        # The stream only adds the failed item's traceback: get() (and ready()) do not wait for it.
        failed = (424, {"type": "job-failed", "status": 424,
                        "failures": [{"index": 1, "error": {"type": "ValueError", "message": "bad item 1"}}]})
        batch = _Batch(["busy", [0, 1, 2, 3]], results=failed)
        pool = self.serve(batch.routes())
        with self.assertRaises(ValueError) as raised:
            pool.map("work", range(4))
        self.assertEqual((raised.exception.index, raised.exception.args), (1, ("bad item 1",)))
        self.assertEqual(len(self.stream_requests()), 1)


class WaitTest(_StandIn):

    def test_apply_waits_out_too_many_waits(self):
        answers = iter([BUSY, (202, {"id": "j1", "status": "RUNNING"})])

        def result(handler, body):
            if _timeout(handler) > 0:
                return next(answers, (200, {"id": "j1", "result": 49}))
            return 202, {"id": "j1", "status": "RUNNING"}

        pool = self.serve({("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j1"}),
                           ("GET", "/v1/jobs/j1/result"): result})
        self.assertEqual(pool.apply("work", (7,)), 49)

    def test_join_service_waits_out_too_many_waits(self):
        answers = iter([BUSY])
        timeouts = []

        def join(handler, body):
            timeouts.append(_timeout(handler))
            if _timeout(handler) > 0:
                return next(answers, (200, {"state": "OPEN"}))
            return 202, {"state": "OPEN"}  # a 0-second join takes no long poll

        pool = self.serve({("POST", "/v1/pool/join"): join})
        self.assertTrue(pool.join_service())
        self.assertEqual(timeouts, [30.0, 0.0, 30.0])

    def test_join_service_with_a_timeout_is_false_when_every_wait_is_refused(self):
        def join(handler, body):
            return BUSY if _timeout(handler) > 0 else (202, {"state": "OPEN"})

        pool = self.serve({("POST", "/v1/pool/join"): join})
        self.assertFalse(pool.join_service(timeout=0.3))
        self.assertGreaterEqual(len(self.stub.requests), 2)

    def test_join_service_answers_at_once_from_the_0_second_join_when_the_service_is_idle(self):
        def join(handler, body):
            return BUSY if _timeout(handler) > 0 else (200, {"state": "OPEN"})

        pool = self.serve({("POST", "/v1/pool/join"): join})
        self.assertTrue(pool.join_service(timeout=30))
        self.assertEqual(len(self.stub.requests), 2)


if __name__ == "__main__":
    unittest.main()

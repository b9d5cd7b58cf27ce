"""Tests for the end of a program that neither joined nor terminated its Pool: as multiprocessing's
exit finalizer terminates the pools still alive, the client cancels that Pool's unfinished work at
interpreter exit, within a few seconds even when the service does not answer. Each program runs
in a child interpreter."""

import json
import os
import subprocess
import sys
import textwrap
import time
import unittest
import urllib.request

from support import URL, StubService, wait_until

import jobpool

CLIENT = os.path.dirname(os.path.dirname(os.path.abspath(jobpool.__file__)))


def run_program(source, url, timeout):
    """Runs source in a child interpreter with the client on its path; (returncode, stdout, stderr, seconds)."""
    program = "import sys; sys.path.insert(0, %r)\nimport jobpool\nURL = %r\n" % (CLIENT, url) + textwrap.dedent(source)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def get_json(path):
    with urllib.request.urlopen(URL + path, timeout=30) as response:
        return json.load(response)


def cancel(path):
    request = urllib.request.Request(URL + path, data=b"", method="POST")
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except OSError:
        pass  # finished already (409): nothing to clean up


class ExitTest(unittest.TestCase):

    def test_unfinished_work_of_a_pool_left_open_is_cancelled_at_exit(self):
        code, out, err, _ = run_program("""
            pool = jobpool.Pool(URL)
            job = pool.apply_async("slow", (60, "never"))
            batch = pool.map_async("nap", [60.0, 60.0])
            closed = jobpool.Pool(URL)
            queued = closed.apply_async("slow", (60, "never"))
            closed.close()          # closed but not joined: cancelled too, as in multiprocessing
            kept = jobpool.Pool(URL, cancel_at_exit=False).apply_async("slow", (0.2, "kept"))
            print(job.job_id, batch.batch_id, queued.job_id, kept.job_id)
        """, URL, timeout=60)
        self.assertEqual(code, 0, err)
        job_id, batch_id, queued_id, kept_id = out.split()
        try:
            for jid in (job_id, queued_id):
                self.assertEqual(wait_until(lambda: get_json("/v1/jobs/" + jid)["status"] == "CANCELLED", 10), True,
                                 get_json("/v1/jobs/" + jid)["status"])
            batch = get_json("/v1/batches/" + batch_id)
            self.assertEqual(batch["counts"]["total"], 2)
            self.assertEqual(batch["counts"].get("cancelled"), 2, batch)
            reader = jobpool.Pool(URL)
            reader.close()
            self.assertEqual(reader.result(kept_id).get(timeout=60), "kept")
        finally:
            for path in ("/v1/jobs/%s/cancel" % job_id, "/v1/jobs/%s/cancel" % queued_id,
                         "/v1/batches/%s/cancel" % batch_id):
                cancel(path)

    def test_a_joined_or_terminated_pool_sends_nothing_at_exit(self):
        stub = StubService({
            ("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j1"}),
            ("GET", "/v1/jobs/j1/result"): lambda handler, body: (200, {"result": 1}),
            ("POST", "/v1/jobs/j1/cancel"): lambda handler, body: (200, {"id": "j1"}),
        })
        try:
            code, _, err, _ = run_program("""
                joined = jobpool.Pool(URL)
                joined.apply_async("work", (1,))
                joined.close()
                assert joined.join(10)
                terminated = jobpool.Pool(URL)
                terminated.apply_async("work", (1,))
                terminated.terminate()
            """, stub.url, timeout=60)
            self.assertEqual(code, 0, err)
            cancels = [r for r in stub.requests if r[1].endswith("/cancel")]
            self.assertEqual(len(cancels), 1)  # terminate()'s own, none at exit
        finally:
            stub.stop()

    def test_an_unresponsive_service_does_not_hold_up_the_exit(self):
        def never_answer(handler, body):
            stub.release.wait(60)  # a service that takes the request and never answers
            return 200, {}

        stub = StubService({("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j%d" % body["args"][0]}),
                            ("POST", "*"): never_answer})
        try:
            code, _, err, seconds = run_program("""
                pool = jobpool.Pool(URL)
                for i in range(20):
                    pool.apply_async("work", (i,))
            """, stub.url, timeout=40)
            self.assertEqual(code, 0, err)
            self.assertTrue(any(r[1].endswith("/cancel") for r in stub.requests), "no cancel was tried at exit")
            self.assertLess(seconds, 20)
            self.assertIn("could not be cancelled at exit", err)
        finally:
            stub.stop()


if __name__ == "__main__":
    unittest.main()

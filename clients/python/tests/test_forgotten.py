"""A job or batch the service forgot (deleted with DELETE /v1/jobs/{id}, or by the results.ttl
sweep) before this client fetched its result: the result becomes ready and not successful, get()
raises jobpool.JobForgottenError, and join() completes, instead of a 404 from join() and ready()
on every call. ServiceTest needs the jar (run-tests.sh); StandInTest uses a stand-in service."""

import json
import threading
import unittest
import urllib.request

from support import URL, StubService, wait_until

import jobpool


def _call(method, path, timeout=40):
    request = urllib.request.Request(URL + path, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)


class ServiceTest(unittest.TestCase):

    def test_a_job_deleted_before_its_result_was_fetched_is_ready_and_join_completes(self):
        pool = jobpool.Pool(URL)
        result = pool.apply_async("work", (3,))
        kept = pool.apply_async("work", (4,))
        # Finished on the service (a long poll of the job itself, which the client never reads) ...
        self.assertEqual(_call("GET", "/v1/jobs/%s?wait=30" % result.job_id)[1]["status"], "SUCCEEDED")
        # ... and forgotten by someone else before this client asked for its result.
        self.assertEqual(_call("DELETE", "/v1/jobs/" + result.job_id)[0], 204)
        pool.close()
        self.assertTrue(pool.join(timeout=60))
        self.assertTrue(pool.join(timeout=0))  # again: no 404 on a later call either
        self.assertTrue(result.ready())
        self.assertFalse(result.successful())
        with self.assertRaises(jobpool.JobForgottenError) as raised:
            result.get(timeout=0)
        error = raised.exception
        self.assertIsInstance(error, jobpool.JobpoolError)
        self.assertEqual((error.status, error.type, error.job_id, error.kind), (404, "not-found", result.job_id, "job"))
        self.assertIn("job %s is not known to the service any more" % result.job_id, str(error))
        self.assertIn("DELETE /v1/jobs/" + result.job_id, str(error))
        self.assertEqual(kept.get(timeout=0), 16)  # the other results keep theirs

    def test_a_result_not_yet_asked_about_says_ready_rather_than_raising_404(self):
        pool = jobpool.Pool(URL)
        result = pool.apply_async("work", (5,))
        self.assertEqual(_call("GET", "/v1/jobs/%s?wait=30" % result.job_id)[1]["status"], "SUCCEEDED")
        self.assertEqual(_call("DELETE", "/v1/jobs/" + result.job_id)[0], 204)
        self.assertTrue(result.ready())
        with self.assertRaises(jobpool.JobForgottenError):
            result.get()
        pool.close()
        self.assertTrue(pool.join(timeout=60))

    def test_a_deleted_batch_is_ready_and_join_completes(self):
        pool = jobpool.Pool(URL)
        batch = pool.map_async("work", range(4))
        finished = wait_until(lambda: _call("GET", "/v1/batches/" + batch.batch_id)[1]["ready"], 60)
        self.assertTrue(finished)
        self.assertEqual(_call("DELETE", "/v1/batches/" + batch.batch_id)[0], 204)
        pool.close()
        self.assertTrue(pool.join(timeout=60))
        self.assertTrue(batch.ready())
        with self.assertRaises(jobpool.JobForgottenError) as raised:
            batch.get(timeout=0)
        self.assertEqual((raised.exception.kind, raised.exception.job_id), ("batch", batch.batch_id))
        self.assertIn("DELETE /v1/batches/" + batch.batch_id, str(raised.exception))


def _not_found(what):
    return lambda handler, body: (404, {"type": "https://jobpool.io/problems/not-found", "title": "Not found",
                                        "status": 404, "detail": "no %s with id '%s'" % (what, handler.path.split("?")[0])})


class StandInTest(unittest.TestCase):
    """The paths a real service reaches only by a race (a callback's watcher, imap's stream,
    terminate()), with a stand-in that has forgotten everything it accepted."""

    def setUp(self):
        self.stub = StubService({
            ("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j%d" % body["args"][0]}),
            ("POST", "/v1/batches"): lambda handler, body: (202, {"id": "B"}),
            ("GET", "*"): _not_found("job"),
            ("POST", "*"): _not_found("job"),
        })

    def tearDown(self):
        self.stub.stop()

    def test_error_callback_gets_the_forgotten_error_and_join_completes(self):
        pool = jobpool.Pool(self.stub.url, timeout=5)
        got = []
        called = threading.Event()

        def on_error(error):
            got.append(error)
            called.set()

        result = pool.apply_async("work", (1,), callback=got.append, error_callback=on_error)
        pool.close()
        self.assertTrue(pool.join(timeout=30))
        self.assertTrue(called.is_set())
        self.assertEqual([type(error) for error in got], [jobpool.JobForgottenError])
        self.assertEqual(got[0].job_id, "j1")
        with self.assertRaises(jobpool.JobForgottenError):
            result.get(timeout=0)

    def test_imap_items_of_a_forgotten_batch_raise_it_and_the_iteration_ends(self):
        pool = jobpool.Pool(self.stub.url, timeout=5)
        iterator = pool.imap("work", range(3))
        outcomes = []
        for _ in range(10):  # bounded: three items and the end
            try:
                outcomes.append(iterator.next(timeout=30))
            except StopIteration:
                break
            except jobpool.JobForgottenError as error:
                outcomes.append((error.kind, error.job_id))
        self.assertEqual(outcomes, [("batch", "B")] * 3)
        pool.close()
        self.assertTrue(pool.join(timeout=30))

    def test_terminate_of_a_forgotten_job_makes_it_ready_with_the_forgotten_error(self):
        pool = jobpool.Pool(self.stub.url, timeout=5)
        result = pool.apply_async("work", (2,))
        pool.terminate()  # the cancel is a 404: nothing to cancel, and not a refusal
        self.assertTrue(pool.join(timeout=30))
        with self.assertRaises(jobpool.JobForgottenError):
            result.get(timeout=0)


if __name__ == "__main__":
    unittest.main()

"""Tests for close/join/terminate: a Pool object's own work, as in multiprocessing, and the service's
shared pool (close_service / join_service / terminate_service: POST /v1/pool/close, /join,
/terminate). The service-wide ones change the shared pool, so this module reopens it after each test."""

import json
import threading
import unittest
import urllib.request

from support import URL, wait_until, work

import jobpool


def reopen():
    request = urllib.request.Request(URL + "/v1/pool/open", data=b"", method="POST")
    urllib.request.urlopen(request).close()


def _status(job_id):
    with urllib.request.urlopen(URL + "/v1/jobs/" + job_id, timeout=10) as response:
        return json.loads(response.read())["status"]


class LifecycleTest(unittest.TestCase):

    def tearDown(self):
        reopen()

    def test_close_and_join_concern_this_pool_only_like_multiprocessing(self):
        pool = jobpool.Pool(URL)
        with self.assertRaises(ValueError) as raised:
            pool.join()
        self.assertEqual(str(raised.exception), "Pool is still running")
        pending = [pool.apply_async(work, (i,)) for i in range(5)]
        batch = pool.map_async(work, range(4))
        pool.close()
        with self.assertRaises(ValueError) as raised:
            pool.apply_async(work, (1,))
        self.assertEqual(str(raised.exception), "Pool not running")
        # The service still takes work from everyone else.
        other = jobpool.Pool(URL)
        self.assertEqual(other.apply(work, (6,)), 36)
        self.assertTrue(pool.join(timeout=120))
        self.assertTrue(all(result.ready() for result in pending) and batch.ready())
        self.assertEqual([result.get() for result in pending], [i * i for i in range(5)])
        self.assertEqual(batch.get(), [0, 1, 4, 9])
        other.close()
        self.assertTrue(other.join(timeout=60))

    def test_join_with_a_timeout_reports_unfinished_work(self):
        pool = jobpool.Pool(URL)
        slow = pool.apply_async("slow", (60, "late"))
        pool.close()
        self.assertFalse(pool.join(timeout=0.5))
        pool.terminate()
        with self.assertRaises(jobpool.CancelledError):
            slow.get(timeout=60)

    def test_terminate_cancels_this_pools_unfinished_work_and_nothing_else(self):
        pool = jobpool.Pool(URL)
        other = jobpool.Pool(URL)
        running = pool.apply_async("slow", (60, "never"))
        bystander = other.apply_async("slow", (1, "kept"))
        running.wait(0.5)
        pool.terminate()
        with self.assertRaises(jobpool.CancelledError):
            running.get(timeout=60)
        self.assertEqual(bystander.get(timeout=60), "kept")
        with self.assertRaises(ValueError):
            pool.apply_async(work, (1,))
        other.close()

    def test_leaving_the_with_block_terminates_its_unfinished_work(self):
        with jobpool.Pool(URL) as pool:
            left = pool.apply_async("slow", (60, "never"))
            left.wait(0.5)
        with self.assertRaises(jobpool.CancelledError):
            left.get(timeout=60)

    def test_terminate_then_join_with_callbacks_makes_every_result_ready_and_runs_no_callback(self):
        # multiprocessing calls no callback after terminate(); every result here must still become
        # ready (CancelledError), so that join() and get() never wait forever.
        called = []
        pool = jobpool.Pool(URL)
        results = [pool.apply_async("slow", (60, i), callback=called.append, error_callback=called.append)
                   for i in range(30)]
        # Some of them running when terminated (their workers are killed), the rest queued.
        self.assertTrue(wait_until(lambda: _status(results[0].job_id) == "RUNNING", 30))
        pool.terminate()
        self.assertTrue(pool.join(timeout=30))
        for result in results:
            self.assertTrue(result.ready())
            with self.assertRaises(jobpool.CancelledError):
                result.get(timeout=0)
        self.assertEqual(called, [])

    def test_leaving_a_with_block_runs_no_error_callback_for_what_it_cancels(self):
        called = []
        with jobpool.Pool(URL) as pool:
            results = [pool.apply_async("slow", (60, i), error_callback=called.append) for i in range(3)]
        self.assertTrue(pool.join(timeout=30))
        self.assertTrue(all(result.ready() for result in results))
        self.assertEqual(called, [])

    def test_terminate_keeps_the_outcome_and_callback_of_work_that_finished_first(self):
        called = []
        pool = jobpool.Pool(URL)
        done = pool.apply_async(work, (4,), callback=called.append)
        pool.result(done.job_id).get(timeout=60)  # finished on the server (maybe not yet noticed here)
        pool.terminate()
        self.assertTrue(pool.join(timeout=30))
        self.assertEqual(done.get(timeout=0), 16)
        self.assertEqual(called, [16])

    def test_join_with_a_timeout_is_false_while_a_callback_still_runs(self):
        started, release = threading.Event(), threading.Event()

        def blocking_callback(value):
            started.set()
            release.wait(30)

        pool = jobpool.Pool(URL)
        result = pool.apply_async(work, (3,), callback=blocking_callback)
        pool.close()
        self.assertTrue(started.wait(30))
        try:
            self.assertFalse(pool.join(timeout=0.3))  # the result is not ready until its callback returned
            self.assertFalse(result.ready())
        finally:
            release.set()
        self.assertTrue(pool.join(timeout=30))
        self.assertEqual(result.get(timeout=0), 9)

    def test_join_with_timeout_zero_asks_about_work_that_finished_long_ago(self):
        pool = jobpool.Pool(URL)
        results = [pool.apply_async(work, (i,)) for i in range(3)]
        batch = pool.map_async(work, range(3))
        for result in results:
            pool.result(result.job_id).get(timeout=60)  # finished, and this pool's results never asked
        urllib.request.urlopen(URL + "/v1/batches/%s/results?timeout=60" % batch.batch_id).close()
        pool.close()
        self.assertTrue(pool.join(timeout=0))

    def test_close_service_refuses_new_work_and_join_service_waits_for_queued_work(self):
        pool = jobpool.Pool(URL)
        pending = [pool.apply_async(work, (i,)) for i in range(5)]
        pool.close_service()
        with self.assertRaises(jobpool.JobpoolError) as raised:
            refused = jobpool.Pool(URL)
            try:
                refused.apply_async(work, (1,))
            finally:
                refused.close()
        self.assertEqual(raised.exception.type, "pool-closed")
        self.assertTrue(pool.join_service(timeout=120))
        self.assertTrue(all(result.ready() for result in pending))
        self.assertEqual([result.get() for result in pending], [i * i for i in range(5)])
        pool.open_service()
        self.assertEqual(pool.apply(work, (2,)), 4)
        pool.close()

    def test_terminate_service_cancels_what_is_queued_and_running(self):
        pool = jobpool.Pool(URL)
        other = jobpool.Pool(URL)
        running = other.apply_async("slow", (60, "never"))
        other.close()
        running.wait(0.5)
        pool.terminate_service()
        with self.assertRaises(jobpool.CancelledError):
            running.get(timeout=60)
        pool.close()


if __name__ == "__main__":
    unittest.main()

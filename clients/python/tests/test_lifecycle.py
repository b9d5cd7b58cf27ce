"""Tests for close/join/terminate on the service's pool (POST /v1/pool/close, /join, /terminate).
join and terminate need those endpoints on the server. They change the shared pool, so this module
reopens it after each test."""

import json
import unittest
import urllib.request

from support import URL, work

import jobpool


def reopen():
    request = urllib.request.Request(URL + "/v1/pool/open", data=b"", method="POST")
    urllib.request.urlopen(request).close()


class LifecycleTest(unittest.TestCase):

    def tearDown(self):
        reopen()

    def test_close_refuses_new_work_and_join_waits_for_queued_work(self):
        pool = jobpool.Pool(URL)
        pending = [pool.apply_async(work, (i,)) for i in range(5)]
        pool.close()
        with self.assertRaises(jobpool.JobpoolError) as raised:
            pool.apply_async(work, (1,))
        self.assertEqual(raised.exception.type, "pool-closed")
        self.assertTrue(pool.join(timeout=120))
        self.assertTrue(all(result.ready() for result in pending))
        self.assertEqual([result.get() for result in pending], [i * i for i in range(5)])

    def test_terminate_cancels_what_is_queued_and_running(self):
        pool = jobpool.Pool(URL)
        running = pool.apply_async("slow", (60, "never"))
        running.wait(0.5)
        pool.terminate()
        with self.assertRaises(jobpool.CancelledError):
            running.get(timeout=60)


if __name__ == "__main__":
    unittest.main()

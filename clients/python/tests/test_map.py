"""Tests for jobpool.Pool's batch API (map, starmap, imap, imap_unordered, map_async): these need
the server's /v1/batches. Their results must equal multiprocessing.Pool's for the same function
and items."""

import multiprocessing
import threading
import unittest

from support import URL, fail_on, pair_sum, work

import jobpool


class MapTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.local = multiprocessing.Pool(2)

    @classmethod
    def tearDownClass(cls):
        cls.local.terminate()
        cls.local.join()

    def setUp(self):
        self.pool = jobpool.Pool(URL)

    def tearDown(self):
        self.pool.__exit__(None, None, None)

    def test_map_equals_multiprocessing_map(self):
        self.assertEqual(self.pool.map("work", range(10)), self.local.map(work, range(10)))

    def test_map_with_a_chunksize_equals_multiprocessing_map(self):
        items = list(range(57))
        self.assertEqual(self.pool.map(work, items, chunksize=8), self.local.map(work, items, chunksize=8))

    def test_starmap_equals_multiprocessing_starmap(self):
        pairs = [(i, i * 3) for i in range(20)]
        self.assertEqual(self.pool.starmap("pair_sum", pairs), self.local.starmap(pair_sum, pairs))

    def test_imap_yields_in_order(self):
        self.assertEqual(list(self.pool.imap("work", range(25), chunksize=4)), list(self.local.imap(work, range(25), 4)))

    def test_imap_unordered_yields_every_result_once(self):
        self.assertEqual(sorted(self.pool.imap_unordered("work", range(25), chunksize=3)),
                         sorted(self.local.imap_unordered(work, range(25), 3)))

    def test_map_async_with_callback(self):
        got = []
        done = threading.Event()

        def collect(values):
            got.append(values)
            done.set()

        result = self.pool.map_async("work", range(5), callback=collect)
        self.assertEqual(result.get(timeout=60), [0, 1, 4, 9, 16])
        self.assertTrue(done.is_set())
        self.assertEqual(got, [[0, 1, 4, 9, 16]])
        self.assertTrue(result.successful())

    def test_a_failed_item_raises_like_multiprocessing_map(self):
        with self.assertRaises(ValueError):
            self.local.starmap(fail_on, [(i, 3) for i in range(6)])
        with self.assertRaises(jobpool.RemoteError) as raised:
            self.pool.starmap("fail_on", [(i, 3) for i in range(6)], chunksize=2)
        self.assertEqual(raised.exception.type, "ValueError")
        self.assertEqual(raised.exception.message, "bad item 3")
        self.assertEqual(raised.exception.index, 3)

    def test_imap_raises_when_it_reaches_the_failed_item(self):
        iterator = self.pool.imap("fail_on", [0, 1, 2], chunksize=1)
        # map's items are single arguments; fail_on needs two, so every item fails with a TypeError.
        with self.assertRaises(jobpool.RemoteError) as raised:
            next(iterator)
        self.assertEqual(raised.exception.type, "TypeError")

    def test_imap_and_imap_unordered_go_on_after_a_failed_item_like_multiprocessing(self):
        def collect(iterator):
            seen = []
            while True:
                try:
                    seen.append(next(iterator))
                except StopIteration:
                    return seen
                except Exception as error:  # noqa: B902 - the failed item, as either Pool raises it
                    seen.append("failed")

        items = [1, "x", 3, 4]  # work("x") raises TypeError on either side
        local = collect(self.local.imap(work, items, 1))
        self.assertEqual(local, [1, "failed", 9, 16])
        self.assertEqual(collect(self.pool.imap("work", items, chunksize=1)), local)
        self.assertEqual(sorted(map(str, collect(self.pool.imap_unordered("work", items, chunksize=1)))),
                         sorted(map(str, local)))

    def test_the_classic_map_program(self):
        """multiprocessing's map over a range, with only the import and the constructor changed."""
        with jobpool.Pool(URL) as p:
            self.assertEqual(p.map(work, range(10)), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])


if __name__ == "__main__":
    unittest.main()

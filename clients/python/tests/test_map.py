"""Tests for jobpool.Pool's batch API (map, starmap, imap, imap_unordered, map_async): these need
the server's /v1/batches. Their results must equal multiprocessing.Pool's for the same function
and items."""

import itertools
import multiprocessing
import threading
import unittest
import urllib.request
from unittest import mock

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

    def test_an_item_json_cannot_carry_past_the_first_window_fails_alone_in_its_turn(self):
        items = list(range(1100)) + [float("nan")] + [5, 6]  # the NaN is in the second window (1024 items each)
        seen = []
        iterator = self.pool.imap("work", items, chunksize=50)
        for _ in range(len(items) + 1):
            try:
                seen.append(next(iterator))
            except StopIteration:
                break
            except ValueError as error:
                seen.append(error)
        self.assertEqual(seen[:1100], [n * n for n in range(1100)])
        self.assertIsInstance(seen[1100], ValueError)
        self.assertTrue(str(seen[1100]).startswith("NaN and Infinity are not JSON numbers"), seen[1100])
        self.assertEqual(seen[1101:], [25, 36])
        unordered = []
        for value in _each(self.pool.imap_unordered("work", items, chunksize=50)):
            unordered.append(value)
        self.assertEqual(len(unordered), len(items))
        self.assertEqual(sum(1 for v in unordered if isinstance(v, ValueError)), 1)

    @staticmethod
    def outcomes(iterator, limit=50):
        """What next() gives, in turn: values, (type name, args) for what it raises, "STOP" at the end."""
        seen = []
        for _ in range(limit):  # bounded: a few items and the end
            try:
                seen.append(iterator.next(timeout=60))
            except StopIteration:
                seen.append("STOP")
                return seen
            except Exception as error:  # noqa: B902 - recorded, as either Pool raises it
                seen.append((type(error).__name__, error.args))
        return seen

    def test_an_input_failing_in_the_first_window_raises_from_next_in_its_turn_like_multiprocessing(self):
        def failing():
            yield from range(5)
            raise KeyError("input broke")

        local = self.outcomes(self.local.imap(work, failing()))
        self.assertEqual(local, [0, 1, 4, 9, 16, ("KeyError", ("input broke",)), "STOP"])
        iterator = self.pool.imap("work", failing())  # the call itself does not raise
        self.assertEqual(self.outcomes(iterator), local)
        unordered = self.outcomes(self.pool.imap_unordered("work", failing()))
        # The items before the failure all ran; the input's error comes after them, then the end.
        self.assertEqual(sorted(unordered[:5]), [0, 1, 4, 9, 16])
        self.assertEqual(unordered[5:], [("KeyError", ("input broke",)), "STOP"])

    def test_an_input_failing_before_its_first_item_raises_from_next_like_multiprocessing(self):
        def failing():
            raise OSError("no input")
            yield  # noqa: unreachable - makes this a generator

        local = self.outcomes(self.local.imap(work, failing()))
        self.assertEqual(local, [("OSError", ("no input",)), "STOP"])
        self.assertEqual(self.outcomes(self.pool.imap("work", failing())), local)
        self.assertEqual(self.outcomes(self.pool.imap_unordered("work", failing())), local)

    def test_a_refused_first_window_still_raises_at_the_call_when_the_input_fails_too(self):
        def failing():
            yield from range(3)
            raise KeyError("input broke")

        with self.assertRaises(jobpool.JobpoolError) as raised:
            self.pool.imap("no_such_task", failing())
        self.assertEqual(raised.exception.type, "unknown-task")

    def test_map_async_get_with_timeout_zero_asks_about_a_batch_that_finished_long_ago(self):
        result = self.pool.map_async("work", range(5))
        urllib.request.urlopen(URL + "/v1/batches/%s/results?timeout=60" % result.batch_id).close()
        self.assertEqual(result.get(timeout=0), [0, 1, 4, 9, 16])

    def test_a_chunksize_below_one_is_refused_before_anything_is_sent(self):
        # As imap refuses it (and CPython's imap): a ValueError, not the service's 400.
        for call in (self.pool.map, self.pool.map_async, self.pool.starmap):
            with self.assertRaises(ValueError):
                call("work", [(1,)], 0)

    def test_a_failed_map_item_is_caught_by_its_builtin_type(self):
        with self.assertRaises(ValueError) as raised:
            self.pool.starmap("fail_on", [(i, 3) for i in range(6)])
        self.assertIsInstance(raised.exception, jobpool.RemoteError)
        self.assertEqual(raised.exception.index, 3)

    def test_the_docs_imap_loop_catches_zero_division_error_and_goes_on(self):
        # CPython's docs: `except ZeroDivisionError` around next(it), then the next items.
        iterator = self.pool.imap("reciprocal", [1, 0, 2, 0, 4])
        seen = []
        for _ in range(10):  # bounded: five items and the end
            try:
                seen.append(next(iterator))
            except ZeroDivisionError:
                seen.append("ZeroDivisionError")
            except StopIteration:
                break
        self.assertEqual(seen, [1.0, "ZeroDivisionError", 0.5, "ZeroDivisionError", 0.25])

    def test_imap_next_with_a_timeout_raises_multiprocessings_timeout_error(self):
        iterator = self.pool.imap("nap", [1.0, 0])
        with self.assertRaises(multiprocessing.TimeoutError):
            iterator.next(timeout=0.1)
        self.assertEqual(iterator.next(timeout=60), 1.0)
        self.assertEqual(iterator.next(60), 0)
        with self.assertRaises(StopIteration):
            iterator.next(60)
        unordered = self.pool.imap_unordered("nap", [2.0])
        with self.assertRaises(jobpool.TimeoutError):
            unordered.next(timeout=0)
        self.assertEqual(unordered.next(timeout=60), 2.0)

    def test_the_docs_pool_program_with_next_timeout(self):
        # The CPython docs' example: imap of a sleeping function, then it.next(timeout=...).
        iterator = self.pool.imap("nap", [1.5])
        with self.assertRaises(multiprocessing.TimeoutError):
            print(iterator.next(timeout=0.02))
        self.assertEqual(list(iterator), [1.5])


class LazyImapTest(unittest.TestCase):
    """imap / imap_unordered read their input lazily, in windows of batches, as multiprocessing
    reads it from its task thread: an endless input works, and a bounded number of items is in
    flight."""

    def setUp(self):
        self.pool = jobpool.Pool(URL)
        self.taken = 0

    def tearDown(self):
        self.pool.__exit__(None, None, None)

    def counting(self, limit):
        """0, 1, 2, ... counted as they are read; reading past limit fails the test (an eager reader)."""
        for i in range(limit):
            self.taken += 1
            yield i
        raise AssertionError("the whole input was read before the results were")

    def small_windows(self, items=10, windows=2):
        return mock.patch.multiple(jobpool.IMapIterator, _WINDOW_ITEMS=items, _WINDOW_CHUNKS=1, _WINDOWS=windows)

    def test_imap_over_an_endless_input_stops_where_the_program_stops(self):
        for value in self.pool.imap("work", self.counting(200000), chunksize=50):
            if value > 10000:
                break
        self.assertEqual(value, 10201)
        in_flight = jobpool.IMapIterator._WINDOWS * 50 * max(16, -(-jobpool.IMapIterator._WINDOW_ITEMS // 50))
        self.assertLessEqual(self.taken, 102 + in_flight)

    def test_imap_unordered_over_an_endless_input(self):
        iterator = self.pool.imap_unordered("work", self.counting(200000), chunksize=10)
        first = [iterator.next(timeout=60) for _ in range(30)]
        self.assertEqual(len(set(first)), 30)
        self.assertTrue(all(value in {i * i for i in range(self.taken)} for value in first))
        self.assertLess(self.taken, 200000)

    def test_a_long_input_in_several_windows_equals_multiprocessing_and_keeps_global_indexes(self):
        items = list(range(45))
        items[23] = "x"  # work("x") raises TypeError on either side
        with self.small_windows():
            iterator = self.pool.imap("work", iter(items), chunksize=3)
            seen, errors = [], []
            for _ in range(60):  # bounded: 45 items and the end
                try:
                    seen.append(next(iterator))
                except TypeError as error:
                    errors.append(error)
                    seen.append("failed")
                except StopIteration:
                    break
        expected = [i * i for i in range(45)]
        expected[23] = "failed"
        self.assertEqual(seen, expected)
        self.assertEqual([(error.index, error.type) for error in errors], [(23, "TypeError")])
        with self.small_windows():
            unordered = list(self.pool.imap_unordered("work", range(45), chunksize=2))
        self.assertEqual(sorted(unordered), [i * i for i in range(45)])

    def test_windows_are_read_and_submitted_as_earlier_ones_are_consumed(self):
        with self.small_windows(items=10, windows=2):
            iterator = self.pool.imap("work", self.counting(1000))
            self.assertEqual(self.taken, 10)  # the first window at the call, as work starts at once
            self.assertEqual(iterator.next(timeout=60), 0)
            self.assertLessEqual(self.taken, 20)  # two windows in flight
            for expected in range(1, 25):
                self.assertEqual(iterator.next(timeout=60), expected * expected)
            self.assertLessEqual(self.taken, 40)

    def test_a_failing_input_raises_in_its_turn_after_the_items_before_it(self):
        def failing():
            yield from range(25)
            raise OSError("input broke")

        with self.small_windows():
            iterator = self.pool.imap("work", failing())
            values = [iterator.next(timeout=60) for _ in range(25)]
            self.assertEqual(values, [i * i for i in range(25)])
            with self.assertRaises(OSError):
                iterator.next(timeout=60)
            with self.assertRaises(StopIteration):
                iterator.next(timeout=60)

    def test_terminate_ends_an_endless_imap(self):
        with self.small_windows(items=20, windows=2):
            iterator = self.pool.imap("nap", itertools.repeat(0.05))
            self.assertEqual(iterator.next(timeout=60), 0.05)
            self.pool.terminate()
            outcomes = []
            for _ in range(1000):  # bounded: the windows in flight, then the end
                try:
                    iterator.next(timeout=60)
                    outcomes.append("value")
                except jobpool.CancelledError:
                    outcomes.append("cancelled")
                except StopIteration:
                    break
            else:
                self.fail("the iteration did not end after terminate()")
        self.assertIn("cancelled", outcomes)
        self.assertLessEqual(len(outcomes), 40)

    def test_the_first_window_is_refused_at_the_call_as_before(self):
        with self.assertRaises(jobpool.JobpoolError) as raised:
            self.pool.imap("no_such_task", range(3))
        self.assertEqual(raised.exception.type, "unknown-task")


class ClassicMapTest(unittest.TestCase):

    def test_the_classic_map_program(self):
        """multiprocessing's map over a range, with only the import and the constructor changed."""
        with jobpool.Pool(URL) as p:
            self.assertEqual(p.map(work, range(10)), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])


if __name__ == "__main__":
    unittest.main()


def _each(iterator):
    """Every result of an imap iterator, a failed item as its exception, until StopIteration."""
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except Exception as error:  # noqa: B902 - the failed item, kept as what it raised
            yield error

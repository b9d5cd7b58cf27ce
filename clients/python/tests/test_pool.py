"""Tests for jobpool.Pool's single-job API against a running server: apply, apply_async with
callbacks, AsyncResult, remote failures, task naming and the context manager."""

import threading
import unittest

from support import URL, work

import jobpool


class ApplyTest(unittest.TestCase):

    def setUp(self):
        self.pool = jobpool.Pool(URL)

    def tearDown(self):
        self.pool.__exit__(None, None, None)

    def test_apply_returns_the_result(self):
        self.assertEqual(self.pool.apply("work", (7,)), 49)

    def test_apply_passes_keyword_arguments(self):
        self.assertEqual(self.pool.apply("greet", ("ada",), {"punctuation": "?"}), "hello ada?")

    def test_a_function_object_names_its_task(self):
        self.assertEqual(self.pool.apply(work, (5,)), 25)

    def test_java_tasks_run_from_the_same_pool(self):
        self.assertEqual(self.pool.apply("square", (6,)), 36)

    def test_apply_async_get_ready_successful(self):
        result = self.pool.apply_async("slow", (0.3, "done"))
        self.assertIsInstance(result.job_id, str)
        self.assertEqual(result.get(timeout=30), "done")
        self.assertTrue(result.ready())
        self.assertTrue(result.successful())

    def test_get_with_a_timeout_raises_timeout_error_while_running(self):
        result = self.pool.apply_async("slow", (3, "late"))
        with self.assertRaises(jobpool.TimeoutError):
            result.get(timeout=0.2)
        self.assertFalse(result.ready())
        with self.assertRaises(ValueError):
            result.successful()
        result.wait(30)
        self.assertTrue(result.ready())
        self.assertEqual(result.get(), "late")

    def test_timeout_error_is_multiprocessings(self):
        import multiprocessing
        self.assertIs(jobpool.TimeoutError, multiprocessing.TimeoutError)

    def test_a_remote_failure_is_raised_with_type_message_and_traceback(self):
        result = self.pool.apply_async("explode", ("missing key",))
        with self.assertRaises(jobpool.RemoteError) as raised:
            result.get(timeout=30)
        error = raised.exception
        self.assertEqual(error.type, "KeyError")
        self.assertEqual(error.message, "'missing key'")
        self.assertIn("raise KeyError(message)", error.trace)
        self.assertIn("classic.py", error.trace)
        self.assertIn("raise KeyError(message)", str(error))
        self.assertFalse(result.successful())

    def test_a_java_failure_carries_the_java_exception(self):
        with self.assertRaises(jobpool.RemoteError) as raised:
            self.pool.apply("fail", ("from java",))
        self.assertIn("Exception", raised.exception.type)
        self.assertEqual(raised.exception.message, "from java")

    def test_an_unknown_task_is_a_problem_from_the_service(self):
        with self.assertRaises(jobpool.JobpoolError) as raised:
            self.pool.apply_async("no_such_task", (1,))
        self.assertEqual(raised.exception.status, 422)
        self.assertEqual(raised.exception.type, "unknown-task")

    def test_job_options_reach_the_service(self):
        result = self.pool.apply_async("slow", (30, "never"), timeout_seconds=0.5)
        with self.assertRaises(jobpool.RemoteError) as raised:
            result.get(timeout=60)
        self.assertEqual(raised.exception.type, "TimeoutError")

    def test_a_result_can_be_picked_up_by_id(self):
        job_id = self.pool.apply_async("work", (9,)).job_id
        self.assertEqual(self.pool.result(job_id).get(timeout=30), 81)


class CallbackTest(unittest.TestCase):

    def test_callbacks_run_in_the_client_from_one_result_thread_before_get_returns(self):
        results, errors, threads = [], [], set()
        done = threading.Event()

        def collect(value):
            threads.add(threading.current_thread().name)
            results.append(value)

        def failed(error):
            threads.add(threading.current_thread().name)
            errors.append(error)

        with jobpool.Pool(URL) as pool:
            async_results = [pool.apply_async("work", (i,), callback=collect, error_callback=failed) for i in range(6)]
            bad = pool.apply_async("explode", ("boom",), callback=collect, error_callback=failed)
            for result in async_results:
                result.get(timeout=60)
            with self.assertRaises(jobpool.RemoteError):
                bad.get(timeout=60)
            done.set()
        self.assertEqual(sorted(results), [i * i for i in range(6)])
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0].type, "KeyError")
        self.assertEqual(threads, {"jobpool-result-handler"})

    def test_after_its_with_block_a_pool_takes_no_more_work_like_multiprocessing(self):
        with jobpool.Pool(URL) as p:
            self.assertEqual(p.apply(work, (3,)), 9)
        with self.assertRaises(ValueError) as raised:
            p.apply_async(work, (3,), callback=print)
        self.assertEqual(str(raised.exception), "Pool not running")
        with self.assertRaises(ValueError):
            p.map(work, [1, 2])

    def test_the_classic_apply_async_program(self):
        """multiprocessing's apply_async-with-callback program, with only the import and the constructor changed."""
        collected = []
        pool = jobpool.Pool(URL)
        pending = [pool.apply_async(work, (i,), callback=collected.append) for i in range(10)]
        for result in pending:
            result.wait(60)
        self.assertEqual(sorted(collected), [i * i for i in range(10)])
        pool.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()

"""Tests for jobpool.Pool's single-job API against a running server: apply, apply_async with
callbacks, AsyncResult, remote failures, task naming and the context manager."""

import textwrap
import threading
import time
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

    def test_get_and_wait_with_timeout_zero_ask_about_work_that_finished_long_ago(self):
        result = self.pool.apply_async("slow", (0.1, 42))
        self.pool.result(result.job_id).get(timeout=60)  # finished; this AsyncResult has not asked yet
        self.assertEqual(result.get(timeout=0), 42)
        other = self.pool.apply_async(work, (5,))
        self.pool.result(other.job_id).get(timeout=60)
        other.wait(0)
        self.assertTrue(other._event.is_set())  # wait(0) asked, without ready() asking for it
        self.assertEqual(other.get(timeout=0), 25)

    def test_get_with_timeout_zero_on_unfinished_work_raises_timeout_error(self):
        result = self.pool.apply_async("slow", (30, "late"))
        with self.assertRaises(jobpool.TimeoutError):
            result.get(timeout=0)

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
        # The service's timeout keeps its class: it is not the builtin TimeoutError (an OSError).
        self.assertIs(type(raised.exception), jobpool.RemoteError)

    def test_a_result_can_be_picked_up_by_id(self):
        job_id = self.pool.apply_async("work", (9,)).job_id
        self.assertEqual(self.pool.result(job_id).get(timeout=30), 81)


class RemoteExceptionTest(unittest.TestCase):
    """A task's builtin exception is raised as a subclass of both RemoteError and that builtin, so
    a program's `except ValueError` still catches it, as with multiprocessing."""

    def setUp(self):
        self.pool = jobpool.Pool(URL)

    def tearDown(self):
        self.pool.__exit__(None, None, None)

    def test_a_builtin_exception_is_caught_by_its_own_type_and_as_remote_error(self):
        with self.assertRaises(ValueError) as raised:
            self.pool.apply("fail_on", (3, 3))
        error = raised.exception
        self.assertIsInstance(error, jobpool.RemoteError)
        self.assertEqual(type(error).__name__, "RemoteValueError")
        self.assertEqual(error.args, ("bad item 3",))
        self.assertEqual((error.type, error.message), ("ValueError", "bad item 3"))
        self.assertIsNotNone(error.job_id)
        self.assertIn('raise ValueError("bad item %d" % n)', str(error))  # the remote traceback
        with self.assertRaises(ZeroDivisionError):
            self.pool.apply("divide", (1, 0))

    def test_a_timeout_error_the_task_raised_is_the_builtin_one(self):
        # The service's own job timeout is a plain RemoteError (test_job_options_reach_the_service);
        # the task's socket.timeout is an OSError a program catches as such.
        with self.assertRaises(OSError) as raised:
            self.pool.apply("raise_timeout", ("read timed out",))
        self.assertIsInstance(raised.exception, TimeoutError)
        self.assertIsInstance(raised.exception, jobpool.RemoteError)
        self.assertEqual(raised.exception.args, ("read timed out",))

    def test_a_key_error_has_its_key_as_args_like_the_original(self):
        with self.assertRaises(KeyError) as raised:
            self.pool.apply("explode", ("missing key",))
        self.assertEqual(raised.exception.args, ("missing key",))
        self.assertEqual(raised.exception.message, "'missing key'")

    def test_the_same_remote_type_is_the_same_class_and_survives_pickling(self):
        import pickle
        first = self.pool.apply_async("fail_on", (1, 1))
        second = self.pool.apply_async("fail_on", (2, 2))
        errors = []
        for result in (first, second):
            try:
                result.get(timeout=60)
            except ValueError as error:
                errors.append(error)
        self.assertIs(type(errors[0]), type(errors[1]))
        copy = pickle.loads(pickle.dumps(errors[0]))
        self.assertIs(type(copy), type(errors[0]))
        self.assertEqual((copy.type, copy.message, copy.trace, copy.job_id), (errors[0].type, errors[0].message,
                                                                             errors[0].trace, errors[0].job_id))

    def test_an_exception_class_of_an_imported_module_is_caught_by_that_class(self):
        import configparser
        with self.assertRaises(configparser.Error) as raised:
            self.pool.apply("raise_config_error", ("bad config",))
        self.assertIsInstance(raised.exception, jobpool.RemoteError)
        self.assertEqual(raised.exception.type, "configparser.Error")
        self.assertEqual(raised.exception.args, ("bad config",))

    def test_a_module_imported_after_its_first_error_is_caught_by_its_class_from_then_on(self):
        # A fresh interpreter: this test process may have imported configparser already.
        import os
        import subprocess
        import sys
        client = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        program = textwrap.dedent("""
            import sys
            sys.path.insert(0, %r)
            import jobpool
            assert "configparser" not in sys.modules, "the client imported configparser itself"
            with jobpool.Pool(%r) as pool:
                try:
                    pool.apply("raise_config_error", ("first",))
                except jobpool.RemoteError as error:
                    print("before import:", type(error).__name__)
                import configparser
                try:
                    pool.apply("raise_config_error", ("second",))
                except configparser.Error as error:
                    print("after import:", error.args)
        """) % (client, URL)
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.splitlines(), ["before import: RemoteError", "after import: ('second',)"])

    def test_a_class_that_cannot_be_made_from_its_message_stays_remote_error(self):
        import json
        with self.assertRaises(jobpool.RemoteError) as raised:
            self.pool.apply("raise_json_error", ("broken",))
        self.assertIs(type(raised.exception), jobpool.RemoteError)
        self.assertNotIsInstance(raised.exception, json.JSONDecodeError)
        self.assertEqual(raised.exception.type, "json.decoder.JSONDecodeError")

    def test_a_builtin_made_of_more_than_a_message_is_still_caught_by_its_type(self):
        with self.assertRaises(UnicodeDecodeError) as raised:
            self.pool.apply("decode_utf8", ("\u00ff",))
        self.assertIsInstance(raised.exception, ValueError)
        self.assertIsInstance(raised.exception, jobpool.RemoteError)
        self.assertIn("can't decode byte 0xff", raised.exception.message)
        with self.assertRaises(ExceptionGroup) as group:
            self.pool.apply("raise_group", ("several",))
        self.assertEqual(group.exception.message, "several (1 sub-exception)")  # str() of the task's group
        self.assertEqual(group.exception.type, "ExceptionGroup")

    def test_a_java_exception_stays_remote_error(self):
        with self.assertRaises(jobpool.RemoteError) as raised:
            self.pool.apply("fail", ("from java",))
        self.assertIs(type(raised.exception), jobpool.RemoteError)

    def test_error_callback_gets_the_builtin_subclass(self):
        got = []
        result = self.pool.apply_async("divide", (1, 0), error_callback=got.append)
        with self.assertRaises(ZeroDivisionError):
            result.get(timeout=60)
        self.assertEqual(len(got), 1)
        self.assertIsInstance(got[0], ZeroDivisionError)


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

    def test_a_finished_jobs_callback_runs_promptly_behind_many_pending_results(self):
        # 100 results with callbacks wait for the two Java workers (sleep 60 s); a Python job's
        # callback must still run as soon as it finished, with a handful of client threads.
        threads_before = threading.active_count()
        pool = jobpool.Pool(URL)
        try:
            blockers = [pool.apply_async("sleep", (60,), callback=print) for _ in range(100)]
            ran = threading.Event()
            probe = pool.apply_async(work, (7,), callback=lambda value: ran.set())
            self.assertEqual(pool.result(probe.job_id).get(timeout=60), 49)  # returns when the job finished
            finished = time.monotonic()
            self.assertTrue(ran.wait(20), "the callback did not run within 20 s of the job's end")
            self.assertLess(time.monotonic() - finished, 1.5)  # typically 0.1 s; slack for a loaded machine
            self.assertLess(threading.active_count() - threads_before, 12)
            self.assertFalse(any(result.ready() for result in blockers[2:]))
        finally:
            pool.terminate()

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

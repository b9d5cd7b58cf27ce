"""Tests for the mistakes a program moved over from multiprocessing makes first: multiprocessing's
constructor arguments, values JSON cannot carry, an unreachable service, and the URL and API key
from the environment. A stand-in service (or none at all) plays the server's side: no jar needed."""

import os
import unittest
from unittest import mock

from support import StubService, closed_port

import jobpool


class ConstructorTest(unittest.TestCase):

    def test_a_number_of_processes_instead_of_the_url_says_where_the_size_is_set(self):
        for processes in (4, None):
            with self.assertRaises(TypeError) as raised:
                jobpool.Pool(processes)
            message = str(raised.exception)
            self.assertIn("service's URL", message)
            self.assertIn("jobpool.python.pool.size", message)
            self.assertIn("jobpool.pool.size", message)

    def test_multiprocessings_keyword_arguments_name_the_server_setting(self):
        settings = {
            "processes": "jobpool.python.pool.size",
            "initializer": "jobpool.python.pool.initializer",
            "initargs": "jobpool.python.pool.initializer-args",
            "maxtasksperchild": "jobpool.python.pool.max-tasks-per-worker",
            "context": "no equivalent",
        }
        for argument, setting in settings.items():
            with self.subTest(argument=argument):
                with self.assertRaises(TypeError) as raised:
                    jobpool.Pool("http://127.0.0.1:8080", **{argument: 4})
                self.assertIn(argument + "=", str(raised.exception))
                self.assertIn(setting, str(raised.exception))

    def test_the_initializer_hint_says_the_server_needs_a_task(self):
        # The server looks the initializer up among the registered tasks: a plain function in the
        # tasks dir is not found and the Python workers do not boot.
        with self.assertRaises(TypeError) as raised:
            jobpool.Pool("http://127.0.0.1:8080", initializer=print)
        message = str(raised.exception)
        self.assertIn("@task", message)
        self.assertIn("not registered", message)
        self.assertNotIn("the name of a function in its tasks dir", message)

    def test_an_unknown_keyword_argument_is_a_type_error(self):
        with self.assertRaises(TypeError):
            jobpool.Pool("http://127.0.0.1:8080", workers=4)

    def test_a_url_without_a_scheme_is_refused_with_an_example(self):
        with self.assertRaises(ValueError) as raised:
            jobpool.Pool("127.0.0.1:8080")
        self.assertIn("http://", str(raised.exception))


class JsonTest(unittest.TestCase):

    def setUp(self):
        # Nothing listens there: a request that went out would be ServiceUnreachable, not ValueError.
        self.pool = jobpool.Pool("http://127.0.0.1:%d" % closed_port())

    def tearDown(self):
        self.pool.close()

    def test_nan_and_infinity_are_refused_before_anything_is_sent(self):
        for value in (float("nan"), float("inf"), -float("inf")):
            with self.subTest(value=value):
                with self.assertRaises(ValueError) as raised:
                    self.pool.apply_async("work", (value,))
                self.assertIn("NaN and Infinity are not JSON numbers", str(raised.exception))
        with self.assertRaises(ValueError):
            self.pool.map("work", [1.0, float("nan")])
        with self.assertRaises(ValueError):
            self.pool.apply_async("greet", ("x",), {"punctuation": float("inf")})

    def test_what_json_cannot_hold_is_a_type_error_that_says_json(self):
        with self.assertRaises(TypeError) as raised:
            self.pool.apply_async("work", ({1, 2},))
        self.assertIn("JSON", str(raised.exception))


class UnreachableTest(unittest.TestCase):

    def test_connection_refused_is_a_jobpool_error_and_a_connection_error_naming_the_url(self):
        url = "http://127.0.0.1:%d" % closed_port()
        pool = jobpool.Pool(url)
        with self.assertRaises(jobpool.ServiceUnreachable) as raised:
            pool.apply_async("work", (1,))
        error = raised.exception
        self.assertIsInstance(error, jobpool.JobpoolError)
        self.assertIsInstance(error, ConnectionError)
        self.assertIn(url, str(error))
        self.assertIsNone(error.status)
        self.assertEqual(error.type, "service-unreachable")
        with self.assertRaises(ConnectionError):
            pool.map("work", [1, 2])
        pool.close()

    def test_terminate_with_the_service_gone_still_makes_every_result_ready(self):
        stub = StubService({("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j%d" % body["args"][0]}),
                            ("GET", "*"): lambda handler, body: (202, {"status": "QUEUED"})})
        pool = jobpool.Pool(stub.url, timeout=5)
        results = [pool.apply_async("work", (i,), callback=print, error_callback=print) for i in range(3)]
        results.append(pool.apply_async("work", (3,)))
        stub.stop()
        with self.assertRaises(jobpool.ServiceUnreachable):
            pool.terminate()
        self.assertTrue(pool.join(timeout=10))
        for result in results:
            self.assertTrue(result.ready())
            with self.assertRaises(jobpool.ServiceUnreachable):
                result.get(timeout=0)


class EnvironmentTest(unittest.TestCase):

    def setUp(self):
        self.stub = StubService({("POST", "/v1/jobs"): lambda handler, body: (202, {"id": "j1"}),
                                 ("POST", "/v1/jobs/j1/cancel"): lambda handler, body: (200, {"id": "j1"})})
        self.pools = []

    def tearDown(self):
        for pool in self.pools:
            pool.terminate()
        self.stub.stop()

    def authorization(self):
        return self.stub.requests[-1][2].get("Authorization")

    def test_the_url_and_the_api_key_come_from_the_environment(self):
        with mock.patch.dict(os.environ, {"JOBPOOL_URL": self.stub.url, "JOBPOOL_API_KEY": "key-from-env"}):
            self.pools += [jobpool.Pool(), jobpool.Pool(url=None), jobpool.Pool(api_key="explicit")]
            for pool in self.pools[:2]:
                self.assertEqual(pool.apply_async("work", (1,)).job_id, "j1")
                self.assertEqual(self.authorization(), "Bearer key-from-env")
            self.pools[2].apply_async("work", (1,))
            self.assertEqual(self.authorization(), "Bearer explicit")

    def test_without_the_environment_no_key_is_sent_and_the_default_url_is_local(self):
        environment = {k: v for k, v in os.environ.items() if k not in ("JOBPOOL_URL", "JOBPOOL_API_KEY")}
        with mock.patch.dict(os.environ, environment, clear=True):
            self.pools.append(jobpool.Pool())
            self.assertEqual(repr(self.pools[-1]), "<jobpool.Pool http://127.0.0.1:8080>")
            self.pools.append(jobpool.Pool(self.stub.url))
            self.pools[-1].apply_async("work", (1,))
            self.assertIsNone(self.authorization())


if __name__ == "__main__":
    unittest.main()

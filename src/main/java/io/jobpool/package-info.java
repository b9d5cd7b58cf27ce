/** jobpool: Python's multiprocessing.Pool over HTTP, with tasks run in isolated worker processes. */
package io.jobpool;

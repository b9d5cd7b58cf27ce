/**
 * The operating system's view of a worker's processes (Linux {@code /proc}): which processes belong
 * to one worker, found by parent links, session and an environment marker, and signalling them.
 * Used by the server's pool and by the worker itself, so it depends on nothing but the JDK.
 */
package io.jobpool.process;

/** The child process that runs tasks: a plain main class with no Spring on its class path. */
package io.jobpool.worker;

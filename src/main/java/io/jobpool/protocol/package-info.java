/** The frames server and worker exchange over the worker's stdin and stdout; no Spring here. */
package io.jobpool.protocol;

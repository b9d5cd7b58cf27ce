/** Jobs: their state machine, the service behind the API, waiting, completion and housekeeping. */
package io.jobpool.job;

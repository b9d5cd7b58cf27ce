/**
 * The pool of worker processes: one supervisor thread owns every worker handle and all pool
 * state; pipe readers and process exits only post events to it.
 */
package io.jobpool.pool;

/** The built-in tasks every worker registers, including the diagnostic ones used to test failure. */
package io.jobpool.tasks;

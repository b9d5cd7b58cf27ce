/** Claiming due jobs from the store for idle workers, and the leases that make claims safe. */
package io.jobpool.node;

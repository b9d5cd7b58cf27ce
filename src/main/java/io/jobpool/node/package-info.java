/**
 * What belongs to one running replica: its worker pool (the only reference to it), the dispatcher
 * that claims due jobs for idle workers, leases and heartbeat, the reaper of dead replicas' jobs,
 * completion of outcomes, and carrying out commands other replicas recorded in the store.
 */
package io.jobpool.node;

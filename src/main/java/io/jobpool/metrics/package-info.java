/** The jobpool_* Prometheus metrics; names are part of the contract dashboards build on. */
package io.jobpool.metrics;

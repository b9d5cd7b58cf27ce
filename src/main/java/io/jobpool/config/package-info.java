/** Configuration properties under {@code jobpool.} and the explicit wiring of the service's beans. */
package io.jobpool.config;

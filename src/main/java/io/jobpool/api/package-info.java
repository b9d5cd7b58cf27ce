/** The HTTP API v1: controllers, request and response bodies, and RFC 9457 problem responses. */
package io.jobpool.api;

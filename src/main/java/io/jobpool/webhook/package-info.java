/** Webhook callbacks: the transactional outbox, Standard Webhooks signing, delivery with retries, and the SSRF guard. */
package io.jobpool.webhook;

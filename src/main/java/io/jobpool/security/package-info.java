/** Who is calling: API keys checked against their configured hashes, roles, and the owner of new jobs. */
package io.jobpool.security;

/** The JDBC job store: the same SQL on SQLite, H2 and PostgreSQL, state changes as compare-and-set. */
package io.jobpool.store;

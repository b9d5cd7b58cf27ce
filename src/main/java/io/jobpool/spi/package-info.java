/** The interface task authors implement; free of Spring so plugin jars stay small. */
package io.jobpool.spi;

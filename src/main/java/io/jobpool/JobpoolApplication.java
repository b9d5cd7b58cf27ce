package io.jobpool;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationExcludeFilter;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * The jobpool server: HTTP API, store and the supervisor of the worker processes.
 *
 * <p>{@code @SpringBootApplication} spelled out, for one more exclusion from the component scan:
 * configuration meant for the management port's child context only (listed in
 * {@code ManagementContextConfiguration.imports}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(excludeFilters = {
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = TypeExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.CUSTOM, classes = AutoConfigurationExcludeFilter.class),
        @ComponentScan.Filter(type = FilterType.ANNOTATION, classes = ManagementContextConfiguration.class)})
public class JobpoolApplication {

    /** The JDK's scheduler property; read once, when the first virtual thread starts. */
    static final String CARRIER_PARALLELISM = "jdk.virtualThreadScheduler.parallelism";

    public static void main(String[] args) {
        reserveSpareCarrier();
        SpringApplication.run(JobpoolApplication.class, args);
    }

    /**
     * Request threads are virtual. The rule that keeps them schedulable is that no thread which
     * blocks in native or file I/O (worker pipes above all) is virtual; see ArchitectureTest. As a
     * second line, the scheduler gets one carrier more than there are CPUs, derived here rather
     * than configured, so that one carrier pinned for a moment (a native call in a JDBC driver, a
     * class initialiser) never leaves the API and the probes without a carrier on a small pod.
     * Must run before any virtual thread exists; an explicit {@code -D} setting wins.
     */
    static void reserveSpareCarrier() {
        if (System.getProperty(CARRIER_PARALLELISM) == null) {
            System.setProperty(CARRIER_PARALLELISM, Integer.toString(carrierParallelism(Runtime.getRuntime().availableProcessors())));
        }
    }

    static int carrierParallelism(int cpus) {
        return Math.max(1, cpus) + 1;
    }
}

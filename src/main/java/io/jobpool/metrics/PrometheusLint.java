package io.jobpool.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.util.Map;
import java.util.Set;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Keeps the whole Prometheus scrape clean for {@code promtool check metrics}, not only our own
 * families: dashboards and CI lint what they scrape, and a finding on someone else's name still
 * fails them. Micrometer's HTTP timers get the help text they lack; the meters whose names
 * promtool rejects and that say nothing the scrape does not say otherwise are left out.
 */
@Configuration(proxyBeanMethods = false)
class PrometheusLint {

    /**
     * {@code system_cpu_count} (a gauge ending in {@code _count}), {@code process_cpu_time_ns_total}
     * and {@code jvm_compilation_time_ms_total} (abbreviated units): the CPU count is in
     * {@code jobpool}'s own pool figures and the CPU use in {@code process_cpu_usage}. Tomcat's
     * session meters count sessions this stateless API never creates.
     */
    private static final Set<String> LEFT_OUT = Set.of("system.cpu.count", "process.cpu.time", "jvm.compilation.time");
    private static final String TOMCAT_SESSIONS = "tomcat.sessions.";

    private static final Map<String, String> HELP = Map.of(
            "http.server.requests", "Time taken to answer HTTP requests, by method, URI template, status and outcome",
            "http.server.requests.active", "HTTP requests being answered now, and for how long");

    @Bean
    MeterFilter promtoolCleanScrape() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return LEFT_OUT.contains(id.getName()) || id.getName().startsWith(TOMCAT_SESSIONS)
                        ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                String help = id.getDescription() == null ? HELP.get(id.getName()) : null;
                return help == null ? id
                        : new Meter.Id(id.getName(), io.micrometer.core.instrument.Tags.of(id.getTagsAsIterable()), id.getBaseUnit(),
                                help, id.getType());
            }
        };
    }
}

package io.jobpool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.util.unit.DataSize;

/**
 * Every {@code jobpool.*} setting. Each is settable from the environment
 * ({@code JOBPOOL_POOL_SIZE=4}) and from the Helm chart's values.
 *
 * @param dataDir directory of the embedded SQLite store ({@code jobpool.db}) when no PostgreSQL URL is configured
 * @param nodeId name of this replica in job leases; defaults to host name and pid
 * @param webhooks signed callbacks to {@code callbackUrl} and {@code errorCallbackUrl}
 * @param cluster how replicas sharing one PostgreSQL database keep in step
 * @param python Python tasks and the pool of Python worker processes that runs them
 */
@ConfigurationProperties("jobpool")
public record JobpoolProperties(
        @DefaultValue("./data") Path dataDir,
        String nodeId,
        @DefaultValue Pool pool,
        @DefaultValue Jobs jobs,
        @DefaultValue Queue queue,
        @DefaultValue Results results,
        @DefaultValue Tasks tasks,
        @DefaultValue Shutdown shutdown,
        @DefaultValue Security security,
        @DefaultValue Webhooks webhooks,
        @DefaultValue Cluster cluster,
        @DefaultValue Python python) {

    /**
     * Every range is checked here, once all settings are bound, so that a start with several wrong
     * values names each of them: checked in each section's own constructor, binding stopped at the
     * first section and an operator fixed them one restart at a time.
     */
    public JobpoolProperties {
        Bounds bounds = new Bounds();
        pool.checkInto(bounds);
        jobs.checkInto(bounds);
        queue.checkInto(bounds);
        results.checkInto(bounds);
        shutdown.checkInto(bounds);
        security.checkInto(bounds);
        webhooks.checkInto(bounds);
        cluster.checkInto(bounds);
        // A replica heartbeats every third of its lease: one silent for less than a lease is alive,
        // and an expiry below that hid live replicas (the one answering too) between heartbeats.
        if (cluster.nodeExpiry() != null && jobs.lease() != null && cluster.nodeExpiry().compareTo(jobs.lease()) < 0) {
            bounds.all(List.of("jobpool.cluster.node-expiry is " + cluster.nodeExpiry().toString().substring(2).toLowerCase()
                    + "; it must be at least jobpool.jobs.lease (" + jobs.lease().toString().substring(2).toLowerCase()
                    + "), as a replica heartbeats every third of its lease"));
        }
        python.pool().checkInto(bounds);
        bounds.check();
    }

    /**
     * The worker processes.
     *
     * @param size number of worker processes; defaults to the number of CPUs
     * @param prefetch jobs claimed ahead of a free worker so it never waits for the store (like
     *     Celery's prefetch). They show as RUNNING without a worker until one takes them, and on a
     *     crash they count as redelivered. 0 claims a job only for a free worker.
     * @param maxTasksPerWorker recycle a worker after this many jobs (0: never), like
     *     {@code maxtasksperchild}
     * @param maxTasksPerWorkerJitter add up to this many to each worker's limit so workers do not
     *     all restart at once
     * @param maxWorkerRss recycle a worker whose resident memory exceeds this after a job
     * @param workerHeap maximum heap of each worker JVM ({@code -Xmx})
     * @param workerJvmOptions extra JVM options for workers, appended after jobpool's own
     * @param pluginsDir directory whose jars join the worker class path
     * @param initializer task each new worker runs once before taking jobs
     * @param initializerArgs JSON array of arguments for the initializer
     * @param killGrace how long a worker may take to exit after {@code destroy()} before it is
     *     killed forcibly
     * @param bootBackoffMax longest wait between attempts to start a worker that keeps failing to
     *     boot
     * @param javaCommand java binary for workers; defaults to the one running the server
     * @param workerEnv names of extra environment variables passed through to workers (all others
     *     but a small safe set are scrubbed)
     * @param killLeftoverProcesses when a job ends, in any state, kill the processes its task started
     *     and left running (SIGTERM, then SIGKILL after {@code kill-grace}) before the worker takes
     *     another job; the job's log lists them. With {@code false} they live on until their worker
     *     stops, which always takes the worker's whole process tree along
     * @param retireOnLeftoverThreads when a job's task left threads running, the worker runs no
     *     other job and is replaced: what they print would land in the next job's log, maybe another
     *     API key's. With {@code false} the worker goes on (for trusted tasks whose libraries keep
     *     threads, where a new worker per job costs too much)
     */
    public record Pool(
            Integer size,
            @DefaultValue("0") int prefetch,
            @DefaultValue("0") int maxTasksPerWorker,
            @DefaultValue("0") int maxTasksPerWorkerJitter,
            DataSize maxWorkerRss,
            @DefaultValue("128MB") DataSize workerHeap,
            @DefaultValue List<String> workerJvmOptions,
            Path pluginsDir,
            String initializer,
            @DefaultValue("[]") String initializerArgs,
            @DefaultValue("2s") @DurationUnit(ChronoUnit.SECONDS) Duration killGrace,
            @DefaultValue("60s") @DurationUnit(ChronoUnit.SECONDS) Duration bootBackoffMax,
            String javaCommand,
            @DefaultValue List<String> workerEnv,
            @DefaultValue("true") boolean killLeftoverProcesses,
            @DefaultValue("true") boolean retireOnLeftoverThreads) {

        void checkInto(Bounds bounds) {
            bounds.between("jobpool.pool.size", size == null ? 1 : size, 1, io.jobpool.pool.PoolSettings.MAX_SIZE)
                    .workers("jobpool.pool", prefetch, maxTasksPerWorker, maxTasksPerWorkerJitter, maxWorkerRss, killGrace, bootBackoffMax)
                    .workerEnv("jobpool.pool.worker-env", workerEnv)
                    // Workers start with a 4 MB heap (-Xms4m) that holds the AOT cache's archived
                    // objects; below 8 MB a maximum leaves a task next to no room.
                    .atLeast("jobpool.pool.worker-heap", workerHeap, DataSize.ofMegabytes(8))
                    .jsonArray("jobpool.pool.initializer-args", initializerArgs);
        }

        public int effectiveSize() {
            return size != null ? size : Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Bounds and defaults for jobs.
     *
     * @param defaultTimeout run time limit of a job that sets none
     * @param maxTimeout largest {@code timeoutSeconds} a client may ask for
     * @param maxPayloadBytes largest {@code args} plus {@code kwargs}, as JSON
     * @param maxRequestBytes largest request body
     * @param maxResultBytes largest result, as JSON; larger ones fail with ResultTooLargeError
     * @param maxLogBytes how much of a job's output is kept; the rest is cut off
     * @param maxRetries largest {@code maxRetries} a client may ask for
     * @param maxDelay largest {@code delaySeconds}
     * @param maxWait longest {@code wait} or {@code timeout} a request may block
     * @param maxRedeliveries how often a job whose worker or node was lost is run again before it
     *     fails with WorkerLostError
     * @param lease how long a node's claim on a running job lasts without a heartbeat
     * @param retryBackoff base delay of the exponential backoff between retries
     * @param maxBatchItems most items one {@code POST /v1/batches} may carry; more is refused with
     *     413 payload-too-large
     * @param maxBatchRequestBytes largest body of {@code POST /v1/batches} (other requests are
     *     bounded by {@code max-request-bytes})
     */
    public record Jobs(
            @DefaultValue("300s") @DurationUnit(ChronoUnit.SECONDS) Duration defaultTimeout,
            @DefaultValue("24h") @DurationUnit(ChronoUnit.SECONDS) Duration maxTimeout,
            @DefaultValue("1MB") DataSize maxPayloadBytes,
            @DefaultValue("2MB") DataSize maxRequestBytes,
            @DefaultValue("1MB") DataSize maxResultBytes,
            @DefaultValue("1MB") DataSize maxLogBytes,
            @DefaultValue("100") int maxRetries,
            @DefaultValue("30d") @DurationUnit(ChronoUnit.SECONDS) Duration maxDelay,
            @DefaultValue("300s") @DurationUnit(ChronoUnit.SECONDS) Duration maxWait,
            @DefaultValue("3") int maxRedeliveries,
            @DefaultValue("30s") @DurationUnit(ChronoUnit.SECONDS) Duration lease,
            @DefaultValue("1s") @DurationUnit(ChronoUnit.SECONDS) Duration retryBackoff,
            @DefaultValue("1000000") int maxBatchItems,
            @DefaultValue("64MB") DataSize maxBatchRequestBytes) {

        /** A replica heartbeats every third of its lease: below a second that is a busy loop, not a lease. */
        static final Duration MIN_LEASE = Duration.ofSeconds(1);

        void checkInto(Bounds bounds) {
            DataSize aByte = DataSize.ofBytes(1);
            bounds.positive("jobpool.jobs.default-timeout", defaultTimeout).positive("jobpool.jobs.max-timeout", maxTimeout)
                    .atLeast("jobpool.jobs.max-payload-bytes", maxPayloadBytes, aByte)
                    .atLeast("jobpool.jobs.max-request-bytes", maxRequestBytes, aByte)
                    .atLeast("jobpool.jobs.max-result-bytes", maxResultBytes, aByte)
                    .atLeast("jobpool.jobs.max-log-bytes", maxLogBytes, DataSize.ofBytes(0))
                    .atLeast("jobpool.jobs.max-retries", maxRetries, 0).notNegative("jobpool.jobs.max-delay", maxDelay)
                    .notNegative("jobpool.jobs.max-wait", maxWait).atLeast("jobpool.jobs.max-redeliveries", maxRedeliveries, 0)
                    .atLeast("jobpool.jobs.lease", lease, MIN_LEASE).notNegative("jobpool.jobs.retry-backoff", retryBackoff)
                    .atLeast("jobpool.jobs.max-batch-items", maxBatchItems, 1)
                    .atLeast("jobpool.jobs.max-batch-request-bytes", maxBatchRequestBytes, aByte);
        }
}

    /**
     * The queue of jobs waiting for a worker.
     *
     * @param capacity queued jobs beyond which submissions get 429 queue-full
     */
    public record Queue(@DefaultValue("100000") int capacity) {

        void checkInto(Bounds bounds) {
            bounds.atLeast("jobpool.queue.capacity", capacity, 1);
        }
    }

    /**
     * Finished jobs.
     *
     * @param ttl how long a finished job and its result are kept before they are deleted
     */
    public record Results(@DefaultValue("7d") @DurationUnit(ChronoUnit.SECONDS) Duration ttl) {

        void checkInto(Bounds bounds) {
            bounds.positive("jobpool.results.ttl", ttl);
        }
    }

    /**
     * Task registration.
     *
     * @param diagnostics register the diagnostic tasks (exit, halt, oom, hang) that break workers
     *     on purpose
     */
    public record Tasks(@DefaultValue("false") boolean diagnostics) {}

    /**
     * Settings of one task, {@code jobpool.tasks.<name>.*} (beside {@code jobpool.tasks.diagnostics}),
     * read by {@link TaskSettings#bind}. From the environment:
     * {@code JOBPOOL_TASKS_SLEEP_MAXCONCURRENCY=1}, {@code JOBPOOL_TASKS_SLOW_SQ_MAXCONCURRENCY=1}
     * for the task {@code slow_sq}.
     *
     * @param maxConcurrency most jobs of this task running at once across every worker of every
     *     replica (like a semaphore around the task); jobs of other tasks run past waiting ones.
     *     Unset: no cap
     */
    public record TaskSettings(Integer maxConcurrency) {

        /**
         * {@code jobpool.tasks.<name>.*} by task name; keys that are not task settings
         * ({@code diagnostics}) are skipped, but a task setting that does not bind
         * ({@code max-concurrency=abc}) stops the start: skipped, the task would run uncapped.
         */
        public static java.util.Map<String, TaskSettings> bind(org.springframework.core.env.Environment environment) {
            new Bounds().all(problems(environment)).check();
            return binder(environment).bind("jobpool.tasks", org.springframework.boot.context.properties.bind.Bindable.mapOf(
                            String.class, TaskSettings.class), new org.springframework.boot.context.properties.bind.handler.IgnoreErrorsBindHandler())
                    .orElse(java.util.Map.of());
        }

        /**
         * What is wrong with the task settings ({@code max-concurrency} that is not a whole number,
         * or below 1), each named by its key. Also asked when another setting stopped the start
         * ({@link StartRefusedException.SettingAnalyzer}): these are bound after the others, and
         * would otherwise be named only at the next start.
         */
        static List<String> problems(org.springframework.core.env.Environment environment) {
            var rawType = org.springframework.core.ResolvableType.forClassWithGenerics(java.util.Map.class,
                    org.springframework.core.ResolvableType.forClass(String.class),
                    org.springframework.core.ResolvableType.forClassWithGenerics(java.util.Map.class, String.class, String.class));
            java.util.Map<String, java.util.Map<String, String>> raw = binder(environment).bind("jobpool.tasks",
                    org.springframework.boot.context.properties.bind.Bindable.<java.util.Map<String, java.util.Map<String, String>>>of(rawType),
                    new org.springframework.boot.context.properties.bind.handler.IgnoreErrorsBindHandler()).orElse(java.util.Map.of());
            List<String> problems = new java.util.ArrayList<>();
            raw.forEach((task, settings) -> settings.forEach((setting, value) -> {
                if (!setting.replace("-", "").equalsIgnoreCase("maxconcurrency")) {
                    return;
                }
                String key = "jobpool.tasks." + task + ".max-concurrency";
                if (!value.strip().matches("-?\\d{1,9}")) {
                    problems.add(key + " is '" + value + "'; it must be a whole number of jobs");
                } else if (Integer.parseInt(value.strip()) < 1) {
                    problems.add(key + " is " + value.strip() + "; it must be at least 1");
                }
            }));
            return problems;
        }

        /**
         * A task setting in an environment variable whose task name holds {@code _}: the name is
         * what lies between {@code TASKS_} and the setting, in lower case.
         */
        private static final java.util.regex.Pattern SNAKE_CASE_TASK_VARIABLE = java.util.regex.Pattern.compile(
                "JOBPOOL_TASKS_([A-Z0-9]+(?:_[A-Z0-9]+)+?)_(MAXCONCURRENCY|MAX_CONCURRENCY)", java.util.regex.Pattern.CASE_INSENSITIVE);

        /**
         * The environment's binder, with each variable of a task whose name holds {@code _} also
         * given under its task's real name, at the variable's own precedence (below arguments,
         * above files). Spring reads every {@code _} of a variable as a separator, so
         * {@code JOBPOOL_TASKS_SLOW_SQ_MAXCONCURRENCY} was a setting {@code sq.maxconcurrency} of a
         * task {@code slow}, and the task {@code slow_sq} ran uncapped; yet Python names its
         * functions in snake_case, and containers are configured by their environment.
         */
        private static org.springframework.boot.context.properties.bind.Binder binder(org.springframework.core.env.Environment environment) {
            if (!(environment instanceof org.springframework.core.env.ConfigurableEnvironment configurable)) {
                return org.springframework.boot.context.properties.bind.Binder.get(environment);
            }
            var sources = new org.springframework.core.env.MutablePropertySources(configurable.getPropertySources());
            for (var source : configurable.getPropertySources()) {
                if (!(source instanceof org.springframework.core.env.SystemEnvironmentPropertySource variables)) {
                    continue;
                }
                java.util.Map<String, Object> named = new java.util.LinkedHashMap<>();
                for (String variable : variables.getPropertyNames()) {
                    var matcher = SNAKE_CASE_TASK_VARIABLE.matcher(variable);
                    if (matcher.matches()) {
                        named.put("jobpool.tasks[" + matcher.group(1).toLowerCase(java.util.Locale.ROOT) + "].max-concurrency",
                                variables.getProperty(variable));
                    }
                }
                if (!named.isEmpty()) {
                    sources.addAfter(source.getName(), new org.springframework.core.env.MapPropertySource(
                            source.getName() + " (task names with _)", named));
                }
            }
            return new org.springframework.boot.context.properties.bind.Binder(
                    org.springframework.boot.context.properties.source.ConfigurationPropertySources.from(sources),
                    new org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver(sources));
        }
    }

    /**
     * Graceful shutdown.
     *
     * @param grace how long running jobs may finish after SIGTERM before they are killed and put
     *     back in the queue
     */
    public record Shutdown(@DefaultValue("30s") @DurationUnit(ChronoUnit.SECONDS) Duration grace) {

        void checkInto(Bounds bounds) {
            bounds.notNegative("jobpool.shutdown.grace", grace);
        }
    }

    /**
     * Access control.
     *
     * @param apiKeys API keys with their roles; none configured means the service runs open (and
     *     says so). Each key presented as {@code Authorization: Bearer <key>} is checked against the
     *     SHA-256 hashes configured here.
     * @param maxLongPollsPerKey how many requests that wait ({@code ?wait=}, {@code ?timeout=}) one
     *     key (or, in open mode, everyone together) may have open at once; more get 429
     */
    public record Security(@DefaultValue List<ApiKey> apiKeys, @DefaultValue("200") int maxLongPollsPerKey) {

        /** {@code printf %s "" | sha256sum}: what the README's recipe gives when {@code $KEY} is unset. */
        static final String EMPTY_KEY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        /** {@code echo "$KEY" | sha256sum} with {@code $KEY} unset: the hash of a lone newline. */
        static final String NEWLINE_KEY_SHA256 = "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b";

        void checkInto(Bounds bounds) {
            // Every key is checked, as the settings are bound, so a faulty list stops the start
            // with one message naming each offending key, not a stack trace naming the first.
            bounds.atLeast("jobpool.security.max-long-polls-per-key", maxLongPollsPerKey, 1)
                    .all(ApiKey.problems(apiKeys));
        }

        /** Whether requests must present a key: as soon as one key is configured. */
        public boolean enforced() {
            return !apiKeys.isEmpty();
        }
    }

    /**
     * One API key. The key itself is never configured, only its hash:
     * {@code printf %s "$KEY" | sha256sum}.
     *
     * @param name who holds the key; jobs submitted with it are owned by this name and show it as
     *     {@code owner}
     * @param sha256 hex SHA-256 of the key (64 hex digits)
     * @param roles what the key may do: {@code submit} (submit, cancel and forget its own jobs),
     *     {@code read} (read its own jobs), {@code admin} (the pool endpoints, and every job of
     *     every key)
     */
    public record ApiKey(String name, String sha256, @DefaultValue List<String> roles) {

        /**
         * The key's roles. Bound as text and read here rather than as {@link Role}s by the binder,
         * which would stop at the first unknown role and name no other faulty key.
         */
        public java.util.Set<Role> roleSet() {
            java.util.Set<Role> set = java.util.EnumSet.noneOf(Role.class);
            roles.forEach(role -> set.add(Role.valueOf(role.strip().toUpperCase(java.util.Locale.ROOT))));
            return set;
        }

        /**
         * What is wrong with each key of a configured list, naming its setting and the key (never its
         * hash, which stays out of logs); empty when every key is usable.
         */
        public static List<String> problems(List<ApiKey> keys) {
            List<String> problems = new java.util.ArrayList<>();
            java.util.Map<String, Integer> names = new java.util.HashMap<>();
            java.util.Map<String, Integer> hashes = new java.util.HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                ApiKey key = keys.get(i);
                String where = "jobpool.security.api-keys[" + i + "]";
                String which = " (key '" + key.name() + "')";
                if (key.name() == null || !key.name().matches("[A-Za-z0-9._@-]{1,100}")) {
                    problems.add(where + ".name must be 1 to 100 letters, digits or . _ @ -");
                    which = "";
                } else if (names.putIfAbsent(key.name(), i) != null) {
                    problems.add(where + ".name '" + key.name() + "' is used by two keys (also api-keys["
                            + names.get(key.name()) + "])");
                }
                if (key.sha256() == null || !key.sha256().matches("[0-9a-fA-F]{64}")) {
                    problems.add(where + ".sha256" + which
                            + " must be the 64 hex digits of the key's SHA-256: printf %s \"$KEY\" | sha256sum");
                } else if (Security.EMPTY_KEY_SHA256.equalsIgnoreCase(key.sha256())
                        || Security.NEWLINE_KEY_SHA256.equalsIgnoreCase(key.sha256())) {
                    // No request can send an empty key: the hash locks its operator out, silently.
                    problems.add(where + ".sha256" + which + " is the SHA-256 of an empty key or of a lone newline (was $KEY"
                            + " unset when it was hashed?); no request can present it");
                } else if (hashes.putIfAbsent(key.sha256().toLowerCase(java.util.Locale.ROOT), i) != null) {
                    problems.add(where + ".sha256" + which + " is the hash of another key too (api-keys["
                            + hashes.get(key.sha256().toLowerCase(java.util.Locale.ROOT)) + "])");
                }
                if (key.roles().isEmpty()) {
                    problems.add(where + ".roles" + which + " must name at least one of submit, read, admin");
                }
                for (String role : key.roles()) {
                    if (java.util.Arrays.stream(Role.values()).noneMatch(known -> known.name().equalsIgnoreCase(role.strip()))) {
                        problems.add(where + ".roles" + which + " has '" + role + "', which is not one of submit, read, admin");
                    }
                }
            }
            return problems;
        }
    }

    /** What an API key may do. */
    public enum Role {
        SUBMIT, READ, ADMIN
    }

    /**
     * Webhook callbacks ({@code callbackUrl}, {@code errorCallbackUrl}), sent the Standard Webhooks
     * way.
     *
     * @param secret signing secret: {@code whsec_} followed by the base64 of 24 to 64 random bytes;
     *     without one, requests carry no {@code webhook-signature} header
     * @param secondarySecret a second signing secret for rotation: while both are set, every request
     *     carries a signature made with each, so receivers can switch keys without a gap
     * @param retrySchedule delay before each attempt, comma-separated; the first is the delay after
     *     the event, and the number of entries is the number of attempts before a delivery fails
     * @param timeout how long one attempt may take to connect, and again to get its response
     * @param concurrency how many deliveries this replica sends at the same time
     * @param allowPrivateTargets allow targets that resolve to loopback, private, link-local
     *     (cloud metadata), multicast or other special-purpose addresses; for tests and closed
     *     networks only
     * @param allowedHosts host names (exact, case-insensitive) that may be called even though they
     *     resolve to such addresses
     */
    public record Webhooks(
            String secret,
            String secondarySecret,
            @DefaultValue("0s,5s,5m,30m,2h,5h,10h,10h") @DurationUnit(ChronoUnit.SECONDS) List<Duration> retrySchedule,
            @DefaultValue("10s") @DurationUnit(ChronoUnit.SECONDS) Duration timeout,
            @DefaultValue("8") int concurrency,
            @DefaultValue("false") boolean allowPrivateTargets,
            @DefaultValue List<String> allowedHosts) {

        void checkInto(Bounds bounds) {
            bounds.positive("jobpool.webhooks.timeout", timeout)
                    .atLeast("jobpool.webhooks.concurrency", concurrency, 1)
                    .atLeast("jobpool.webhooks.retry-schedule (attempts)", retrySchedule.size(), 1);
            for (Duration delay : retrySchedule) {
                bounds.notNegative("jobpool.webhooks.retry-schedule", delay);
            }
        }
}

    /**
     * Several replicas on one store. They tell each other about queued, finished and cancelled
     * jobs and pool state changes at once (PostgreSQL {@code LISTEN/NOTIFY}); polling the store is
     * only the fallback for a message lost while a connection was down.
     *
     * @param pollInterval how often an idle dispatcher, a long-poll or {@code join} re-reads the
     *     store when no message woke it, and how long a replica trusts its copy of the pool state
     * @param nodeExpiry a replica whose heartbeat is older than this is dropped from
     *     {@code GET /v1/pool}
     */
    public record Cluster(
            @DefaultValue("5s") @DurationUnit(ChronoUnit.SECONDS) Duration pollInterval,
            @DefaultValue("1h") @DurationUnit(ChronoUnit.SECONDS) Duration nodeExpiry) {

        void checkInto(Bounds bounds) {
            bounds.positive("jobpool.cluster.poll-interval", pollInterval).positive("jobpool.cluster.node-expiry", nodeExpiry);
        }
    }

    /**
     * Python tasks: functions marked {@code @task} in the modules of a directory, run by a pool of
     * Python worker processes with the same supervisor and semantics as the Java pool.
     *
     * @param executable the Python interpreter workers are started with (CPython 3.9 or later)
     * @param tasksDir directory whose modules and packages the workers import; without one there is
     *     no Python pool
     * @param pool the Python worker processes
     */
    public record Python(
            @DefaultValue("python3") String executable,
            Path tasksDir,
            @DefaultValue PythonPool pool) {

        /** Python workers to keep: none without a tasks directory. */
        public int effectiveSize() {
            if (tasksDir == null) {
                return 0;
            }
            return pool.size() != null ? pool.size() : Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * The Python worker processes; each key means what it means under {@code jobpool.pool}.
     *
     * @param size number of Python worker processes; defaults to the number of CPUs when a tasks
     *     directory is set, and is 0 without one
     * @param prefetch jobs claimed ahead of a free Python worker
     * @param maxTasksPerWorker recycle a worker after this many jobs (0: never)
     * @param maxTasksPerWorkerJitter add up to this many to each worker's limit
     * @param maxWorkerRss recycle a worker whose resident memory exceeds this after a job
     * @param workerMemoryLimit address space limit of each worker ({@code RLIMIT_AS}), the Python
     *     counterpart of the Java workers' heap limit: a task that allocates past it gets a
     *     {@code MemoryError}, its worker exits and the job fails with {@code WorkerLostError};
     *     unset means no limit
     * @param initializer Python task each new worker runs once before taking jobs
     * @param initializerArgs JSON array of arguments for the initializer
     * @param killGrace how long a worker may take to exit after SIGTERM before it is killed
     * @param bootBackoffMax longest wait between attempts to start a worker that keeps failing to
     *     boot (a task module that does not import)
     * @param workerEnv names of extra environment variables passed through to Python workers (all
     *     others but a small safe set are scrubbed)
     * @param killLeftoverProcesses as {@code jobpool.pool.kill-leftover-processes}, for Python tasks
     * @param retireOnLeftoverThreads as {@code jobpool.pool.retire-on-leftover-threads}, for Python tasks
     */
    public record PythonPool(
            Integer size,
            @DefaultValue("0") int prefetch,
            @DefaultValue("0") int maxTasksPerWorker,
            @DefaultValue("0") int maxTasksPerWorkerJitter,
            DataSize maxWorkerRss,
            DataSize workerMemoryLimit,
            String initializer,
            @DefaultValue("[]") String initializerArgs,
            @DefaultValue("2s") @DurationUnit(ChronoUnit.SECONDS) Duration killGrace,
            @DefaultValue("60s") @DurationUnit(ChronoUnit.SECONDS) Duration bootBackoffMax,
            @DefaultValue List<String> workerEnv,
            @DefaultValue("true") boolean killLeftoverProcesses,
            @DefaultValue("true") boolean retireOnLeftoverThreads) {

        void checkInto(Bounds bounds) {
            bounds.between("jobpool.python.pool.size", size == null ? 0 : size, 0, io.jobpool.pool.PoolSettings.MAX_SIZE)
                    .workers("jobpool.python.pool", prefetch, maxTasksPerWorker, maxTasksPerWorkerJitter, maxWorkerRss, killGrace,
                            bootBackoffMax)
                    .workerEnv("jobpool.python.pool.worker-env", workerEnv)
                    .atLeast("jobpool.python.pool.worker-memory-limit", workerMemoryLimit, DataSize.ofMegabytes(16))
                    .jsonArray("jobpool.python.pool.initializer-args", initializerArgs);
        }
}
}

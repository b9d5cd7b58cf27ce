package io.jobpool.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Finds {@code jobpool.*} settings that are not jobpool settings: {@code JOBPOOL_POOL_SIEZ=4} or
 * {@code jobpool.pool.max-task-per-worker} would otherwise be dropped without a word, and the
 * operator would believe the pool is sized or recycled as asked. Spring ignores keys no property
 * binds; this walks every key under {@code jobpool.} in every property source (arguments,
 * environment, files) against the shape of {@link JobpoolProperties}, and names the closest real
 * key.
 *
 * <p>The result is a warning, not a failed start: the Python client's own variables
 * ({@code JOBPOOL_URL}, {@code JOBPOOL_API_KEY}) and a setting left over from another jobpool
 * version would otherwise keep a server from starting in a shell or pod that has them. Under
 * {@code jobpool.security.} it is a refused start ({@link #security}): a misspelt
 * {@code JOBPOOL_SECURITY_API_KEY_0_SHA256} or a key after a gap in the numbering would leave the
 * API open, or without that key, while its operator believes it configured.
 *
 * <p>It also finds list entries that are real settings but never read: Spring binds a list up to
 * its first missing index, so {@code api-keys[2]} after {@code api-keys[0]} alone is dropped.
 */
final class UnknownSettings {

    /** The Python client's environment variables, which often share a shell with the server. */
    private static final Set<String> CLIENT_VARIABLES = Set.of("jobpool.url", "jobpool.api.key", "jobpool.apikey");

    private static final String PYTHON_TASKS_DIR = "jobpool.python.tasks-dir";

    /**
     * A setting no jobpool property binds, where it came from and the real key it most resembles;
     * or, with a {@code reason}, a real one that is not read (a list entry after a gap).
     */
    record Unknown(String key, String origin, String suggestion, String reason) {

        Unknown(String key, String origin, String suggestion) {
            this(key, origin, suggestion, null);
        }

        /** What is wrong with it, for a warning: the service starts without it. */
        String message() {
            return message(true);
        }

        /** @param ignored whether the service starts without it (a warning) rather than refusing to start */
        String message(boolean ignored) {
            String where = key + (origin == null ? "" : " (" + origin + ")");
            if (reason != null) {
                return where + (ignored ? " is ignored: " : " is not read: ") + reason;
            }
            return where + " is not a jobpool setting" + (ignored ? " and is ignored" : "")
                    + (suggestion == null ? "" : "; did you mean " + suggestion + "?");
        }
    }

    private UnknownSettings() {}

    static List<Unknown> find(Environment environment) {
        List<String> known = new ArrayList<>();
        collect(JobpoolProperties.class, "jobpool", known);
        Map<String, Unknown> found = new LinkedHashMap<>();
        // Python settings configure a pool that only a tasks directory brings into being.
        boolean pythonPool = org.springframework.boot.context.properties.bind.Binder.get(environment)
                .bind(PYTHON_TASKS_DIR, String.class).map(dir -> !dir.isBlank()).orElse(false);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue;
            }
            boolean fromEnvironment = source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource;
            Map<String, java.util.SortedMap<Integer, ConfigurationPropertyName>> listIndices = new LinkedHashMap<>();
            iterable.stream().filter(name -> name.getNumberOfElements() > 0 && name.getElement(0, ConfigurationPropertyName.Form.UNIFORM)
                    .equals("jobpool")).forEach(name -> {
                        String key = name.toString();
                        if (found.containsKey(key) || CLIENT_VARIABLES.contains(key)) {
                            return;
                        }
                        if (binds(name, 1, JobpoolProperties.class, fromEnvironment)) {
                            if (!pythonPool && key.startsWith("jobpool.python.") && !key.equals(PYTHON_TASKS_DIR)) {
                                found.put(key, new Unknown(key, origin(source, name), null,
                                        PYTHON_TASKS_DIR + " is not set, so there is no Python pool for it to configure"));
                                return;
                            }
                            indices(name, listIndices);
                            return;
                        }
                        found.put(key, new Unknown(key, origin(source, name), closest(key, known)));
                    });
            listIndices.forEach((seen, indices) -> {
                // Named as documented (api-keys), not as an environment variable's name reads (api.keys).
                String list = known.stream().map(k -> k.contains("[0]") ? k.substring(0, k.indexOf("[0]")) : k)
                        .filter(k -> spelling(k).equals(spelling(seen))).findFirst().orElse(seen);
                int missing = firstMissing(indices.keySet());
                indices.tailMap(missing).forEach((index, name) -> found.putIfAbsent(list + "[" + index + "]",
                        new Unknown(list + "[" + index + "]", origin(source, name), null, list + "[" + missing + "] is missing, and a"
                                + " list is read up to its first missing index: number the entries from 0 without gaps")));
            });
        }
        return List.copyOf(found.values());
    }

    /** Those that leave the API key set-up other than written: the start is refused rather than run open or short of a key. */
    static List<Unknown> security(List<Unknown> unknown) {
        return unknown.stream().filter(u -> u.key().startsWith("jobpool.security.")).toList();
    }

    private static String origin(ConfigurationPropertySource source, ConfigurationPropertyName name) {
        ConfigurationProperty property = source.getConfigurationProperty(name);
        return property == null || property.getOrigin() == null ? null : property.getOrigin().toString();
    }

    /** Records the index of each list element {@code name} sets, by the list's name. */
    private static void indices(ConfigurationPropertyName name, Map<String, java.util.SortedMap<Integer, ConfigurationPropertyName>> listIndices) {
        for (int i = 1; i < name.getNumberOfElements(); i++) {
            if (name.isNumericIndex(i)) {
                String index = name.getElement(i, ConfigurationPropertyName.Form.UNIFORM);
                if (index.length() <= 6) {
                    // One list under either spelling of an environment variable (API_KEYS or APIKEYS):
                    // Spring reads each entry under both.
                    String list = name.chop(i).toString();
                    String same = listIndices.keySet().stream().filter(seen -> spelling(seen).equals(spelling(list))).findFirst().orElse(list);
                    listIndices.computeIfAbsent(same, l -> new java.util.TreeMap<>()).putIfAbsent(Integer.parseInt(index), name);
                }
            }
        }
    }

    private static int firstMissing(Iterable<Integer> ascending) {
        int expected = 0;
        for (int index : ascending) {
            if (index != expected) {
                return expected;
            }
            expected++;
        }
        return expected;
    }

    /**
     * Whether the elements of {@code name} from {@code index} on name a setting of {@code type}. An
     * environment variable's underscores are either separators or dashes
     * ({@code JOBPOOL_SECURITY_API_KEYS_0_NAME} binds {@code api-keys[0].name}), so there a
     * setting's name may span several elements.
     */
    private static boolean binds(ConfigurationPropertyName name, int index, Type type, boolean environment) {
        Class<?> raw = rawClass(type);
        int elements = name.getNumberOfElements();
        if (List.class.isAssignableFrom(raw)) {
            // A list is one comma-separated value (an empty one for a list of settings: api-keys: []),
            // or one value per index (api-keys[0].name).
            if (index == elements) {
                return true;
            }
            return name.isNumericIndex(index) && binds(name, index + 1, elementType(type), environment);
        }
        if (!raw.isRecord()) {
            return index == elements;
        }
        if (raw == JobpoolProperties.Tasks.class) {
            // jobpool.tasks.<task name>.max-concurrency beside jobpool.tasks.diagnostics; in the
            // environment a task name may itself hold underscores.
            for (int end = index + 1; end < elements && (end == index + 1 || environment); end++) {
                if (binds(name, end, JobpoolProperties.TaskSettings.class, environment)) {
                    return true;
                }
            }
        }
        StringBuilder joined = new StringBuilder();
        for (int end = index; end < elements && !name.isNumericIndex(end) && (end == index || environment); end++) {
            joined.append(name.getElement(end, ConfigurationPropertyName.Form.UNIFORM));
            for (RecordComponent component : raw.getRecordComponents()) {
                if (component.getName().toLowerCase(java.util.Locale.ROOT).contentEquals(joined)
                        && binds(name, end + 1, component.getGenericType(), environment)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Every real key, in the documented (kebab-case) form, to suggest from. */
    private static void collect(Type type, String prefix, List<String> keys) {
        Class<?> raw = rawClass(type);
        if (List.class.isAssignableFrom(raw) && rawClass(elementType(type)).isRecord()) {
            collect(elementType(type), prefix + "[0]", keys);
        } else if (raw.isRecord()) {
            if (raw == JobpoolProperties.Tasks.class) {
                collect(JobpoolProperties.TaskSettings.class, prefix + ".<task>", keys);
            }
            for (RecordComponent component : raw.getRecordComponents()) {
                collect(component.getGenericType(), prefix + "." + kebab(component.getName()), keys);
            }
        } else {
            keys.add(prefix);
        }
    }

    private static String closest(String key, List<String> known) {
        String uniform = uniform(key);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = distance(uniform, uniform(candidate.replace("<task>", taskOf(key))));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        // Only a near miss is a suggestion; a key from elsewhere would get a misleading one.
        return bestDistance <= Math.max(2, uniform.length() / 5) ? best : null;
    }

    /** The element where a task name would be ({@code jobpool.tasks.<task>.}), to compare task settings fairly. */
    private static String taskOf(String key) {
        String[] parts = key.split("\\.");
        return parts.length > 3 ? parts[2] : "";
    }

    /** A key without the separators an environment variable may or may not have. */
    /** The setting as documented ({@code jobpool.webhooks.allowed-hosts}) for a name in any of its spellings. */
    static String documented(String key) {
        List<String> known = new ArrayList<>();
        collect(JobpoolProperties.class, "jobpool", known);
        return known.stream().filter(k -> spelling(k).equals(spelling(key))).findFirst().orElse(key);
    }

    private static String spelling(String key) {
        return key.replace("-", "").replace("_", "").replace(".", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static String uniform(String key) {
        return key.replace("-", "").replace("_", "").replace(".", "").replaceAll("\\[\\d+]", "[0]").toLowerCase(java.util.Locale.ROOT);
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static Class<?> rawClass(Type type) {
        return type instanceof ParameterizedType parameterized ? (Class<?>) parameterized.getRawType() : (Class<?>) type;
    }

    private static Type elementType(Type listType) {
        return ((ParameterizedType) listType).getActualTypeArguments()[0];
    }
}

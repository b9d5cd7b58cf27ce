package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.parser.OpenAPIV3Parser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Tests that the test suite exercised every operation and every documented response status of
 * {@code openapi.yaml} against the running service (each exchange was validated by
 * {@link ApiClient}). Runs last in the test JVM; run alone it has nothing to count.
 */
@Order(Integer.MAX_VALUE)
class OpenApiCoverageTest {

    @Test
    void everyOperationAndResponseOfTheSpecificationWasExercised() {
        Path here = Path.of("").toAbsolutePath();
        while (!here.resolve("openapi.yaml").toFile().exists()) {
            here = here.getParent();
        }
        OpenAPI spec = new OpenAPIV3Parser().read(here.resolve("openapi.yaml").toString());
        Set<String> exchanged = ApiClient.exchanged();
        List<String> missingOperations = new ArrayList<>();
        Set<String> missingResponses = new TreeSet<>();
        spec.getPaths().forEach((template, item) -> item.readOperationsMap().forEach((method, operation) -> {
            String pattern = method.name() + " " + template.replaceAll("\\{[^}]+}", "[^/]+") + " (\\d{3})";
            Set<String> statuses = new TreeSet<>();
            exchanged.stream().filter(e -> e.matches(pattern)).forEach(e -> statuses.add(e.substring(e.lastIndexOf(' ') + 1)));
            if (statuses.isEmpty()) {
                missingOperations.add(method + " " + template);
            }
            for (String documented : responses(operation).keySet()) {
                if (!statuses.contains(documented)) {
                    missingResponses.add(method + " " + template + " " + documented);
                }
            }
        }));
        assertThat(missingOperations).as("operations no test called").isEmpty();
        assertThat(missingResponses).as("documented responses no test saw").isEmpty();
    }

    private static Map<String, ?> responses(Operation operation) {
        return operation.getResponses() == null ? Map.of() : operation.getResponses();
    }
}

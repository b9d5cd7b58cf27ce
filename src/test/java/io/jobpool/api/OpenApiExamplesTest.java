package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.parser.OpenAPIV3Parser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests that every example of a response in {@code openapi.yaml} is an answer the specification
 * itself allows: readers copy them, and client generators take them as the shape of the data.
 */
class OpenApiExamplesTest {

    /** The file parses as YAML and as OpenAPI with no message: a parser that recovers from an error reads a different file. */
    @Test
    void theSpecificationParsesWithoutAnyMessage() {
        Path here = Path.of("").toAbsolutePath();
        while (!here.resolve("openapi.yaml").toFile().exists()) {
            here = here.getParent();
        }
        io.swagger.v3.parser.core.models.SwaggerParseResult result = new OpenAPIV3Parser()
                .readLocation(here.resolve("openapi.yaml").toUri().toString(), null, null);
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
    }

    @Test
    void everyResponseExampleMatchesItsSchema() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        while (!here.resolve("openapi.yaml").toFile().exists()) {
            here = here.getParent();
        }
        Path file = here.resolve("openapi.yaml");
        OpenAPI spec = new OpenAPIV3Parser().read(file.toString());
        OpenApiInteractionValidator validator = OpenApiInteractionValidator.createForSpecificationUrl(file.toUri().toString()).build();
        List<String> checked = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        spec.getPaths().forEach((template, item) -> item.readOperationsMap().forEach((method, operation) ->
                operation.getResponses().forEach((status, response) -> {
                    if (response.get$ref() != null || response.getContent() == null) {
                        return;
                    }
                    response.getContent().forEach((mediaType, content) -> {
                        List<Object> values = new ArrayList<>();
                        if (content.getExample() != null) {
                            values.add(content.getExample());
                        }
                        if (content.getExamples() != null) {
                            for (Example example : content.getExamples().values()) {
                                Example resolved = example.get$ref() == null ? example
                                        : spec.getComponents().getExamples().get(example.get$ref().substring(example.get$ref().lastIndexOf('/') + 1));
                                values.add(resolved.getValue());
                            }
                        }
                        String path = template.replace("{id}", "0b8e3f0c-5d4a-4f57-9a43-2f8c6d1e7a11").replace("{deliveryId}", "d1");
                        for (Object value : values) {
                            String body;
                            try {
                                body = Json.mapper().writeValueAsString(value);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            ValidationReport report = validator.validateResponse(path, Request.Method.valueOf(method.name()),
                                    SimpleResponse.Builder.status(Integer.parseInt(status)).withContentType(mediaType).withBody(body).build());
                            String where = method + " " + template + " " + status + " " + mediaType;
                            checked.add(where);
                            // An example is a body: the headers its answer carries are not part of it.
                            report.getMessages().stream().filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                                    .filter(m -> !m.getKey().startsWith("validation.response.header"))
                                    .forEach(m -> failures.add(where + ": " + m.getMessage()));
                        }
                    });
                })));
        assertThat(checked).as("examples found").hasSizeGreaterThan(10);
        assertThat(failures).isEmpty();
    }
}

package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.ServiceTest;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;

/** Tests that a batch of a million items runs to the end and is stored per chunk, not per item. */
class MillionItemBatchTest extends ServiceTest {

    private static final int ITEMS = 1_000_000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aMillionItemsRunInAHundredChunkRows() throws Exception {
        String items = IntStream.range(0, ITEMS).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
        // Sent without the specification check (other tests check this request's shape): validating
        // a million items would cost the test more than the service spends on them.
        HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/batches"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"square\",\"chunksize\":10000,\"items\":" + items + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String id = ApiClient.JSON.readTree(submitted.body()).get("id").asString();

        JsonNode batch = api.get("/v1/batches/" + id).json();
        for (int round = 0; round < 20 && !batch.get("ready").asBoolean(); round++) {
            batch = api.get("/v1/batches/" + id + "/results?timeout=30").status() == 200
                    ? api.get("/v1/batches/" + id).json() : api.get("/v1/batches/" + id).json();
        }
        assertThat(batch.get("ready").asBoolean()).as("done within 10 minutes: %s", batch).isTrue();
        assertThat(batch.get("counts").get("succeeded").asInt()).isEqualTo(ITEMS);
        assertThat(chunkRows(id)).as("job rows of the batch").isEqualTo(100);

        // Read the million results as a stream, checking each in order.
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v1/batches/" + id + "/results")).timeout(Duration.ofMinutes(5)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        long index = 0;
        try (InputStream body = response.body(); JsonParser parser = ApiClient.JSON.createParser(body)) {
            while (parser.nextToken() != JsonToken.START_ARRAY) {
                assertThat(parser.currentToken()).isNotNull();
            }
            while (parser.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                assertThat(parser.getLongValue()).isEqualTo(index * index);
                index++;
            }
        }
        assertThat(index).isEqualTo(ITEMS);
        assertThat(api.delete("/v1/batches/" + id).status()).isEqualTo(204);
    }

    @Test
    void moreItemsThanTheConfiguredBoundAreRefused() throws Exception {
        String items = IntStream.range(0, ITEMS + 1).mapToObj(i -> "0").collect(Collectors.joining(",", "[", "]"));
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/batches"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"square\",\"items\":" + items + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(413);
        JsonNode problem = ApiClient.JSON.readTree(refused.body());
        assertThat(problem.get("type").asString()).isEqualTo("payload-too-large");
        assertThat(problem.get("detail").asString()).contains("jobpool.jobs.max-batch-items");
    }

    private int chunkRows(String id) {
        int rows = 0;
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/jobs?batch=" + id + "&limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            rows += page.get("items").size();
            cursor = page.get("next").isNull() ? null : page.get("next").asString();
        } while (cursor != null);
        return rows;
    }
}

package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tests for {@link WebhookSender}. */
class WebhookSenderTest {

    private HttpServer receiver;
    private final AtomicInteger hits = new AtomicInteger();
    private final java.util.concurrent.CountDownLatch trickling = new java.util.concurrent.CountDownLatch(1);

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/trickle", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 100);
            exchange.getResponseBody().write('{');
            exchange.getResponseBody().flush();
            try {
                trickling.await(); // the other 99 bytes never come while the sender waits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        receiver.createContext("/", exchange -> {
            hits.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        trickling.countDown();
        receiver.stop(0);
    }

    /**
     * A receiver that sends its 200 at once and then its body a byte at a time has answered: the
     * attempt delivers once the sender stops waiting for the body, instead of failing and being
     * sent again until the schedule gives up.
     */
    @Test
    void aTwoHundredWhoseBodyTricklesDelivers() throws Exception {
        try (WebhookSender sender = new WebhookSender(new TargetGuard(false, List.of("127.0.0.1"), InetAddress::getAllByName),
                new WebhookSigner(List.of()), Duration.ofMillis(500), Clock.systemUTC())) {
            AttemptResult result = sender.send(delivery("http://127.0.0.1:" + receiver.getAddress().getPort() + "/trickle"));

            assertThat(result.statusCode()).isEqualTo(200);
            assertThat(result.succeeded()).isTrue();
        }
    }

    /**
     * A receiver that answers 204 with a {@code Content-Length} (against RFC 9110) has the delivery:
     * the client refuses to read the body, but the status line came; failed, it was sent again on
     * every step of the schedule and ended FAILED.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"0", "5"})
    void aTwoHundredFourThatDeclaresABodyDelivers(String contentLength) throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                WebhookSender sender = sender(new TargetGuard(false, List.of("127.0.0.1"), InetAddress::getAllByName))) {
            Thread answering = Thread.ofPlatform().start(() -> {
                try (java.net.Socket connection = socket.accept()) {
                    java.io.InputStream in = connection.getInputStream();
                    byte[] request = new byte[8192];
                    int read = 0;
                    while (!new String(request, 0, read, java.nio.charset.StandardCharsets.ISO_8859_1).contains("\r\n\r\n{}")) {
                        int n = in.read(request, read, request.length - read);
                        if (n < 0) {
                            return;
                        }
                        read += n;
                    }
                    connection.getOutputStream().write(("HTTP/1.1 204 No Content\r\nContent-Length: " + contentLength + "\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    connection.getOutputStream().flush();
                } catch (java.io.IOException e) {
                    // the sender closed first: the assertions below say what it made of it
                }
            });
            AttemptResult result = sender.send(delivery("http://127.0.0.1:" + socket.getLocalPort() + "/hook"));
            answering.join();

            assertThat(result.statusCode()).as(result.error()).isEqualTo(204);
            assertThat(result.succeeded()).isTrue();
        }
    }

    @Test
    void theConnectionIsRefusedWhenTheHostNoLongerResolvesToAPublicAddress() throws Exception {
        // The guard's lookup said public (as DNS did at submit); the connection resolves again and
        // finds loopback, as after a DNS rebinding. Spring Boot's InetAddressFilter in the client refuses it.
        // A name, not a literal: the guard reads an address literal itself, without its resolver.
        TargetGuard fooled = new TargetGuard(false, List.of(),
                host -> new InetAddress[] {InetAddress.getByAddress(host, new byte[] {93, (byte) 184, (byte) 215, 14})});
        try (WebhookSender sender = sender(fooled)) {
            AttemptResult result = sender.send(delivery("http://localhost:" + receiver.getAddress().getPort() + "/hook"));

            assertThat(result.statusCode()).isNull();
            assertThat(result.error()).isEqualTo("target refused at connect: host localhost no longer resolves to a public address");
            assertThat(hits).hasValue(0);
        }
    }

    @Test
    void theGuardRefusesBeforeAnyConnectionIsMade() throws Exception {
        try (WebhookSender sender = sender(new TargetGuard(false, List.of(), InetAddress::getAllByName))) {
            AttemptResult result = sender.send(delivery("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));

            assertThat(result.error()).startsWith("target refused: host 127.0.0.1 resolves to 127.0.0.1, a loopback address");
            assertThat(hits).hasValue(0);
        }
    }

    @Test
    void anAllowedTargetIsSentTo() throws Exception {
        try (WebhookSender sender = sender(new TargetGuard(false, List.of("127.0.0.1"), InetAddress::getAllByName))) {
            AttemptResult result = sender.send(delivery("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));

            assertThat(result.statusCode()).isEqualTo(204);
            assertThat(result.succeeded()).isTrue();
            assertThat(hits).hasValue(1);
        }
    }

    @Test
    void aTargetThatRefusesTheConnectionIsAnErrorThatSaysSo() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (WebhookSender sender = sender(new TargetGuard(false, List.of("127.0.0.1"), InetAddress::getAllByName))) {
            AttemptResult result = sender.send(delivery("http://127.0.0.1:" + closedPort + "/hook"));

            assertThat(result.succeeded()).isFalse();
            assertThat(result.error()).startsWith("ConnectException: ").isNotEqualTo("ConnectException: ");
        }
        assertThat(WebhookSender.describe(new java.net.ConnectException())).isEqualTo("ConnectException: could not connect to the target");
        assertThat(WebhookSender.describe(new java.io.IOException(new java.net.ConnectException("Connection refused"))))
                .isEqualTo("IOException: java.net.ConnectException: Connection refused");
    }

    private static WebhookSender sender(TargetGuard guard) {
        return new WebhookSender(guard, new WebhookSigner(List.of()), Duration.ofSeconds(5), Clock.systemUTC());
    }

    private static Delivery delivery(String url) {
        Instant now = Instant.now();
        return new Delivery("d-1", "job", "j-1", "job.succeeded", url, "{}", "msg_1", DeliveryStatus.PENDING, 0, now, null,
                null, now, now);
    }
}

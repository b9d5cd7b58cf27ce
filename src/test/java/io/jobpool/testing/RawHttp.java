package io.jobpool.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 written byte by byte over a socket, for requests no HTTP client would send: malformed
 * paths, invalid UTF-8, broken headers. One request per connection ({@code Connection: close}).
 */
public final class RawHttp {

    private RawHttp() {}

    /** A response as read off the wire; header names are lower case. */
    public record Response(int status, Map<String, String> headers, byte[] body) {

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }
    }

    /** Sends {@code head} (request line and headers, without the blank line) and {@code body}. */
    public static Response send(int port, String head, byte[] body, int readTimeoutMillis) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(readTimeoutMillis);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder(head);
            if (!head.toLowerCase(Locale.ROOT).contains("\r\nhost:")) {
                request.append("\r\nHost: 127.0.0.1:").append(port);
            }
            request.append("\r\nConnection: close");
            if (body != null && !head.toLowerCase(Locale.ROOT).contains("\r\ncontent-length:")) {
                request.append("\r\nContent-Length: ").append(body.length);
            }
            request.append("\r\n\r\n");
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                try {
                    out.write(body);
                } catch (IOException e) {
                    // The server may answer (413) and close before the whole body is written.
                }
            }
            out.flush();
            return read(socket.getInputStream());
        }
    }

    public static Response send(int port, String head, byte[] body) throws IOException {
        return send(port, head, body, 60_000);
    }

    private static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        try {
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
            }
        } catch (java.net.SocketException e) {
            // A reset after the response was sent (the server closed with unread body bytes).
            if (all.size() == 0) {
                throw e;
            }
        }
        byte[] bytes = all.toByteArray();
        int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (end < 0) {
            java.util.Optional<Response> headless = headlessProblem(bytes);
            if (headless.isPresent()) {
                return headless.get();
            }
            throw new IOException("no complete response head: " + new String(bytes, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(bytes, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Response(status, headers, body);
    }

    /**
     * Tomcat answers a request line it cannot parse up to the protocol (raw non-ASCII bytes in the
     * target, say) the HTTP/0.9 way: the body alone, with no status line or headers. That body is
     * still the service's problem detail, so it is read as one: its {@code status} field and the
     * problem media type. Anything else without a head stays an error.
     */
    private static java.util.Optional<Response> headlessProblem(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        java.util.regex.Matcher status = java.util.regex.Pattern.compile("^\\{\"type\":\"[a-z-]+\".*\"status\":(4\\d\\d),.*\\}$",
                java.util.regex.Pattern.DOTALL).matcher(text);
        if (!status.matches()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Response(Integer.parseInt(status.group(1)),
                Map.of("content-type", "application/problem+json"), bytes));
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = indexOf(java.util.Arrays.copyOfRange(chunked, at, chunked.length), "\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (lineEnd < 0) {
                break;
            }
            String size = new String(chunked, at, lineEnd, StandardCharsets.ISO_8859_1).split(";")[0].strip();
            int length = Integer.parseInt(size, 16);
            at += lineEnd + 2;
            if (length == 0) {
                break;
            }
            out.write(chunked, at, Math.min(length, chunked.length - at));
            at += length + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

package io.jobpool.api;

import io.jobpool.job.JobException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies above {@code jobpool.jobs.max-request-bytes} with 413 before they are
 * read into memory: by {@code Content-Length} when it is sent, and by counting when it is not.
 */
final class RequestSizeFilter extends OncePerRequestFilter {

    private static final String BATCHES = "/v1/batches";

    private final long maxRequestBytes;
    private final long maxBatchRequestBytes;

    /** @param maxBatchRequestBytes the bound of {@code POST /v1/batches}, whose items may be many */
    RequestSizeFilter(long maxRequestBytes, long maxBatchRequestBytes) {
        this.maxRequestBytes = maxRequestBytes;
        this.maxBatchRequestBytes = maxBatchRequestBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean batch = BATCHES.equals(request.getRequestURI());
        long maxBytes = batch ? maxBatchRequestBytes : maxRequestBytes;
        String setting = batch ? "jobpool.jobs.max-batch-request-bytes" : "jobpool.jobs.max-request-bytes";
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            response.setStatus(413);
            response.setContentType("application/problem+json");
            response.setHeader("Connection", "close");
            response.getOutputStream().write(("{\"type\":\"payload-too-large\",\"title\":\"Payload too large\",\"status\":413,"
                    + "\"detail\":\"request body is " + declared + " bytes; the limit is " + maxBytes
                    + " (" + setting + ")\",\"instance\":\"" + request.getRequestURI().replace("\"", "") + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(declared >= 0 ? request : new Bounded(request, maxBytes, setting), response);
    }

    /** Counts bytes of a body sent without Content-Length and stops at the limit. */
    private static final class Bounded extends HttpServletRequestWrapper {
        private final long maxBytes;
        private final String setting;

        Bounded(HttpServletRequest request, long maxBytes, String setting) {
            super(request);
            this.maxBytes = maxBytes;
            this.setting = setting;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            return new WatchedInputStream(super.getInputStream()) {
                private long read;

                @Override
                void seen(byte[] buffer, int offset, int n) {
                    read += n;
                    if (read > maxBytes) {
                        // Reading stops here: the body's whole size is not known, only that it passed the limit.
                        throw JobException.payloadTooLarge("request body", "more than " + maxBytes, maxBytes, setting);
                    }
                }
            };
        }
    }
}

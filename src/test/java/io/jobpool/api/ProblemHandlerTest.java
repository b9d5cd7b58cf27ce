package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.context.request.ServletWebRequest;

/** Tests for {@link ProblemHandler}: Spring's exceptions answered in the service's own problem types. */
class ProblemHandlerTest {

    private final ProblemHandler handler = new ProblemHandler();

    private ProblemDetail answer(Exception e, int status) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/v1/jobs");
        request.addHeader("Accept", "application/json;charset=ISO-8859-1");
        ResponseEntity<Object> response = handler.handleException(e, new ServletWebRequest(request));
        assertThat(response.getStatusCode().value()).isEqualTo(status);
        return (ProblemDetail) response.getBody();
    }

    @Test
    void anAnswerNoConverterWritesForTheAcceptIsA406ThatSaysTheRequestWasCarriedOut() throws Exception {
        // What Spring throws when the media type negotiation chose has no converter, after the handler ran.
        ProblemDetail problem = answer(new HttpMessageNotWritableException(
                "No converter for [class io.jobpool.job.JobView] with preset Content-Type 'application/json;charset=ISO-8859-1'"), 406);
        assertThat(problem.getType()).hasToString("not-acceptable");
        assertThat(problem.getDetail()).contains("carried out");
        assertThat(problem.getInstance()).hasToString("/v1/jobs");
    }

    @Test
    void anAnswerThatFailsToSerializeIsTheServicesFault() throws Exception {
        ProblemDetail problem = answer(new HttpMessageNotWritableException("Could not write JSON", new IllegalStateException("bug")), 500);
        assertThat(problem.getDetail()).isEqualTo("the service failed to answer this request; the error is in its log");
    }
}

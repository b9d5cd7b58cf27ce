package io.jobpool.webhook;

import io.jobpool.job.JobException;
import java.util.List;
import java.util.Map;

/** A callback URL the SSRF guard refuses: 422 {@code webhook-target-refused}, naming the field and the reason. */
final class WebhookTargetRefusedException extends JobException {

    WebhookTargetRefusedException(String field, String url, String reason) {
        super("webhook-target-refused", "Webhook target refused", field + " " + url + " is refused: " + reason,
                Map.of("errors", List.of(new FieldError(field, reason))));
    }
}

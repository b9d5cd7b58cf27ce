package io.jobpool.webhook;

import io.jobpool.job.JobException;
import java.util.Map;

/** No delivery with this id belongs to the job or batch: 404 {@code not-found}. */
final class DeliveryNotFoundException extends JobException {

    DeliveryNotFoundException(String subjectType, String subjectId, String deliveryId) {
        super("not-found", "Not found", subjectType + " " + subjectId + " has no delivery '" + deliveryId + "'",
                Map.of(subjectType + "Id", subjectId));
    }
}

package io.jobpool.webhook;

import io.jobpool.job.JobException;
import java.util.Map;

/** No delivery with this id belongs to the job: 404 {@code not-found}. */
final class DeliveryNotFoundException extends JobException {

    DeliveryNotFoundException(String jobId, String deliveryId) {
        super("not-found", "Not found", "job " + jobId + " has no delivery '" + deliveryId + "'", Map.of("jobId", jobId));
    }
}

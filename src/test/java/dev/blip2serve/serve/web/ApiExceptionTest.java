package dev.blip2serve.serve.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.serve.batch.BatchRefusal;
import org.junit.jupiter.api.Test;

/** Each refusal of a variant's queue is the problem clients have always got, with its Retry-After. */
class ApiExceptionTest {

    @Test
    void aFullQueueIs429WithItsCapacity() {
        ApiException e = ApiException.refused(new BatchRefusal(BatchRefusal.Reason.BUSY, "m:fp32 is busy", 3, 12));
        assertThat(e.type()).isEqualTo(ProblemType.TOO_MANY_REQUESTS);
        assertThat(e.type().status().value()).isEqualTo(429);
        assertThat(e.getMessage()).isEqualTo("m:fp32 is busy");
        assertThat(e.properties()).containsEntry("capacity", 12);
        assertThat(e.retryAfterSeconds()).isEqualTo(3);
    }

    @Test
    void theOtherRefusalsAre503s() {
        assertThat(problem(BatchRefusal.Reason.SHUTTING_DOWN)).isEqualTo(ProblemType.SERVICE_UNAVAILABLE);
        assertThat(problem(BatchRefusal.Reason.DEADLINE_EXCEEDED)).isEqualTo(ProblemType.DEADLINE_EXCEEDED);
        assertThat(problem(BatchRefusal.Reason.NOT_LOADED)).isEqualTo(ProblemType.VARIANT_UNAVAILABLE);
        for (BatchRefusal.Reason r : BatchRefusal.Reason.values()) {
            ApiException e = ApiException.refused(new BatchRefusal(r, "detail", 2, 0));
            assertThat(e.retryAfterSeconds()).as(r.name()).isEqualTo(2);
            if (r != BatchRefusal.Reason.BUSY) {
                assertThat(e.type().status().value()).as(r.name()).isEqualTo(503);
            }
        }
        assertThat(ApiException.shuttingDown(5).getMessage()).isEqualTo("the service is shutting down");
    }

    private static ProblemType problem(BatchRefusal.Reason reason) {
        return ApiException.refused(new BatchRefusal(reason, "detail", 1, 0)).type();
    }
}

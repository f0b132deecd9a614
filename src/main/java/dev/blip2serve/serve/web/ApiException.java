package dev.blip2serve.serve.web;

import dev.blip2serve.serve.batch.BatchRefusal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that cannot be answered with a caption, as the problem the client gets: its type, a one-line
 * detail that is safe to show (no stack traces, no server paths), extra members and a {@code Retry-After}.
 */
public class ApiException extends RuntimeException {

    private final ProblemType type;
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private Integer retryAfterSeconds;

    public ApiException(ProblemType type, String detail) {
        super(detail);
        this.type = type;
    }

    /** A 400 naming the parameter at fault. */
    public static ApiException invalidParameter(String parameter, String detail) {
        return new ApiException(ProblemType.INVALID_PARAMETER, detail).with("parameter", parameter);
    }

    /** A 413 for a body or image over {@code limitBytes}. */
    public static ApiException tooLarge(String what, long limitBytes) {
        return new ApiException(ProblemType.PAYLOAD_TOO_LARGE, what + " is larger than the limit of " + limitBytes + " bytes")
                .with("limit_bytes", limitBytes);
    }

    /** A 503 with {@code Retry-After}: the service drains for shutdown and takes nothing new. */
    public static ApiException shuttingDown(int retryAfterSeconds) {
        return shuttingDown().retryAfter(retryAfterSeconds);
    }

    /**
     * The same 503 without {@code Retry-After}, for work that stops half-way because its thread was interrupted for
     * shutdown (a remote image fetch), where no queue knows when to come back.
     */
    public static ApiException shuttingDown() {
        return new ApiException(ProblemType.SERVICE_UNAVAILABLE, "the service is shutting down");
    }

    /** The problem for a variant queue's refusal: 429 when it is full, 503 otherwise; always with {@code Retry-After}. */
    public static ApiException refused(BatchRefusal r) {
        ApiException e = switch (r.reason()) {
            case BUSY -> new ApiException(ProblemType.TOO_MANY_REQUESTS, r.getMessage()).with("capacity", r.capacity());
            case SHUTTING_DOWN -> shuttingDown();
            case DEADLINE_EXCEEDED -> new ApiException(ProblemType.DEADLINE_EXCEEDED, r.getMessage());
            case NOT_LOADED -> new ApiException(ProblemType.VARIANT_UNAVAILABLE, r.getMessage());
        };
        return e.retryAfter(r.retryAfterSeconds());
    }

    /** Adds a member to the problem body. */
    public ApiException with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    /** Adds a {@code Retry-After} header. */
    public ApiException retryAfter(int seconds) {
        this.retryAfterSeconds = seconds;
        return this;
    }

    public ProblemType type() {
        return type;
    }

    public Map<String, Object> properties() {
        return Collections.unmodifiableMap(properties);
    }

    /** Seconds for {@code Retry-After}, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

package dev.blip2serve.serve.web;

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

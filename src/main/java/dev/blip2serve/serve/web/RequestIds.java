package dev.blip2serve.serve.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;
import java.util.regex.Pattern;

/** The request id every response carries: the client's {@code X-Request-Id} when it is sane, else a new UUID. */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String ATTRIBUTE = RequestIds.class.getName();
    /** Also in the log MDC under this key. */
    public static final String MDC_KEY = "request_id";

    // Client ids end up in logs and JSON: only short, plain tokens are echoed back.
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private RequestIds() {
    }

    /** The client's id if it is safe to echo, otherwise a fresh one. */
    static String accept(String fromClient) {
        if (fromClient != null && SAFE.matcher(fromClient).matches()) {
            return fromClient;
        }
        return UUID.randomUUID().toString();
    }

    /** The id {@link RequestIdFilter} assigned to this request (a fresh one if the filter did not run). */
    public static String of(HttpServletRequest request) {
        Object id = request.getAttribute(ATTRIBUTE);
        if (id instanceof String s) {
            return s;
        }
        String fresh = accept(request.getHeader(HEADER));
        request.setAttribute(ATTRIBUTE, fresh);
        return fresh;
    }
}

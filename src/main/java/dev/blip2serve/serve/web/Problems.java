package dev.blip2serve.serve.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.http.ProblemDetail;

/** Builds the problem bodies: every one has a stable {@code type}, a title and the request id. */
public final class Problems {

    private Problems() {
    }

    public static ProblemDetail of(ProblemType type, String detail, HttpServletRequest request) {
        return of(type, type.status().value(), detail, request);
    }

    /** A problem with a status other than the type's own (generic types cover several statuses). */
    public static ProblemDetail of(ProblemType type, int status, String detail, HttpServletRequest request) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(org.springframework.http.HttpStatusCode.valueOf(status), detail);
        p.setType(type.uri());
        p.setTitle(type.title());
        decorate(p, request);
        return p;
    }

    public static ProblemDetail of(ApiException e, HttpServletRequest request) {
        ProblemDetail p = of(e.type(), e.getMessage(), request);
        for (Map.Entry<String, Object> m : e.properties().entrySet()) {
            p.setProperty(m.getKey(), m.getValue());
        }
        return p;
    }

    /**
     * The problem for a failure outside a request handler's reach (a stream already under way, one variant of a
     * comparison): the same type, status and detail the exception handler would answer with, never internals.
     */
    public static ProblemDetail of(Throwable t, String requestId, String instance) {
        ProblemDetail p;
        if (t instanceof ApiException e) {
            p = ProblemDetail.forStatusAndDetail(e.type().status(), e.getMessage());
            p.setType(e.type().uri());
            p.setTitle(e.type().title());
            for (Map.Entry<String, Object> m : e.properties().entrySet()) {
                p.setProperty(m.getKey(), m.getValue());
            }
            if (e.retryAfterSeconds() != null) {
                p.setProperty("retry_after_seconds", e.retryAfterSeconds());
            }
        } else if (t instanceof dev.blip2serve.image.ImageException e) {
            p = simple(imageType(e), t.getMessage());
        } else if (t instanceof dev.blip2serve.runtime.InferenceException) {
            p = simple(ProblemType.INFERENCE_FAILED, "the model failed while captioning; see the server log");
        } else {
            p = simple(ProblemType.INTERNAL_ERROR, "an unexpected error occurred; see the server log");
        }
        p.setProperty(RequestIds.MDC_KEY, requestId);
        try {
            p.setInstance(java.net.URI.create(instance));
        } catch (IllegalArgumentException e) {
            // no instance
        }
        return p;
    }

    /** The problem as the JSON object it is on the wire (standard members, then extensions), for embedding. */
    public static Map<String, Object> asMap(ProblemDetail p) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("type", p.getType().toString());
        m.put("title", p.getTitle());
        m.put("status", p.getStatus());
        m.put("detail", p.getDetail());
        if (p.getInstance() != null) {
            m.put("instance", p.getInstance().toString());
        }
        if (p.getProperties() != null) {
            m.putAll(p.getProperties());
        }
        return m;
    }

    /** 415 for a format this installation cannot decode (HEIC/AVIF without libheif), 422 for a bad image. */
    public static ProblemType imageType(dev.blip2serve.image.ImageException e) {
        return e instanceof dev.blip2serve.image.UnsupportedImageException
                ? ProblemType.UNSUPPORTED_MEDIA_TYPE : ProblemType.INVALID_IMAGE;
    }

    private static ProblemDetail simple(ProblemType type, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(type.status(), detail);
        p.setType(type.uri());
        p.setTitle(type.title());
        return p;
    }

    /** Adds the request id and, if missing, the request path as {@code instance}. */
    public static void decorate(ProblemDetail p, HttpServletRequest request) {
        p.setProperty(RequestIds.MDC_KEY, RequestIds.of(request));
        // Tomcat may refuse a request before its path is parsed (request line too long): no instance then.
        if (p.getInstance() == null && request.getRequestURI() != null) {
            try {
                p.setInstance(java.net.URI.create(request.getRequestURI()));
            } catch (IllegalArgumentException e) {
                // a path Tomcat let through but java.net.URI rejects: the problem stays without an instance
            }
        }
    }
}

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

    /** Adds the request id and, if missing, the request path as {@code instance}. */
    public static void decorate(ProblemDetail p, HttpServletRequest request) {
        p.setProperty(RequestIds.MDC_KEY, RequestIds.of(request));
        if (p.getInstance() == null) {
            try {
                p.setInstance(java.net.URI.create(request.getRequestURI()));
            } catch (IllegalArgumentException e) {
                // a path Tomcat let through but java.net.URI rejects: the problem stays without an instance
            }
        }
    }
}

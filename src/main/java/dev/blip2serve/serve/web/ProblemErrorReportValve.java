package dev.blip2serve.serve.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.coyote.http11.Http11InputBuffer;
import org.apache.tomcat.util.http.MimeHeaders;
import org.apache.tomcat.util.res.StringManager;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tomcat's error report, as problem+json. Tomcat answers some requests itself, before any filter or Spring sees
 * them: a request line or headers over {@code server.max-http-request-header-size} (414 or 431 here), more than
 * {@code maxHeaderCount} headers (431), a malformed request line or header or a missing {@code Host} (400), an
 * unsupported transfer coding or HTTP version (501, 505). It still passes them through the host's pipeline, so this
 * valve, in place of the HTML {@link ErrorReportValve}, gives them the same problem body, request id and
 * {@code X-Request-Id} as every other error. Errors the application answered itself already have a body and are
 * left alone; the client's input is never echoed.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    // Tomcat's own messages, in the locale it writes them in: the only way to tell its 400s apart.
    /** A request line plus headers over {@code maxHttpRequestHeaderSize}. */
    private static final String HEADER_TOO_LARGE = StringManager.getManager(Http11InputBuffer.class)
            .getString("iib.requestheadertoolarge.error");
    /** Holds "more than {@code maxHeaderCount} headers". */
    private static final StringManager MIME_HEADER_STRINGS = StringManager.getManager(MimeHeaders.class);

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        // The same guards as Tomcat's own reports: an error status nobody has written a body for, reported once.
        if (response.getStatus() < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        ProblemDetail problem = problem(request, response.getStatus(), throwable);
        try {
            String body = JSON.writeValueAsString(Problems.asMap(problem));
            response.setStatus(problem.getStatus());
            response.setHeader(RequestIds.HEADER, RequestIds.of(request));
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            PrintWriter writer = response.getReporter();
            if (writer != null) {
                writer.write(body);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the response cannot be written: nothing left to tell it (as in Tomcat's valve).
        }
    }

    private static ProblemDetail problem(Request request, int status, Throwable throwable) {
        if (status != 400) {
            HttpStatus known = HttpStatus.resolve(status);
            String reason = known == null ? "status " + status : known.getReasonPhrase();
            return Problems.of(ProblemType.forStatus(status), status, "refused by the HTTP server: " + reason, request);
        }
        String message = throwable == null ? null : throwable.getMessage();
        if (message != null
                && request.getConnector().getProtocolHandler() instanceof AbstractHttp11Protocol<?> http11) {
            if (message.equals(HEADER_TOO_LARGE)) {
                return tooLarge(request, http11.getMaxHttpRequestHeaderSize());
            }
            int maxHeaders = http11.getMaxHeaderCount();
            if (message.equals(MIME_HEADER_STRINGS.getString("headers.maxCountFail", maxHeaders))) {
                ProblemDetail p = Problems.of(ProblemType.HEADERS_TOO_LARGE, "the request has more than " + maxHeaders
                        + " headers", request);
                p.setProperty("max_headers", maxHeaders);
                return p;
            }
        }
        return Problems.of(ProblemType.INVALID_REQUEST, "the request line or headers are not valid HTTP/1.1 "
                + "(refused by the HTTP server before the application saw them)", request);
    }

    /** 414 or 431: Tomcat has one limit for request line and headers together and one message for both. */
    private static ProblemDetail tooLarge(Request request, int limit) {
        String together = " (" + limit + " bytes for request line and headers together)";
        // Tomcat stops before the request target is parsed when the request line alone is over the limit.
        ProblemDetail p = request.getRequestURI() == null
                ? Problems.of(ProblemType.URI_TOO_LONG, "the request line is longer than the server accepts" + together
                        + "; send long values such as a prompt as a form field or in JSON", request)
                : Problems.of(ProblemType.HEADERS_TOO_LARGE, "the request headers are larger than the server accepts"
                        + together, request);
        p.setProperty("limit_bytes", limit);
        return p;
    }
}

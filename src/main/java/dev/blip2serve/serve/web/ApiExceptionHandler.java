package dev.blip2serve.serve.web;

import dev.blip2serve.image.ImageException;
import dev.blip2serve.runtime.InferenceException;
import dev.blip2serve.serve.ServeProperties;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.apache.tomcat.util.http.fileupload.impl.FileCountLimitExceededException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every exception a handler throws into problem+json. Spring MVC's own exceptions (415, 405, 413 from
 * multipart, missing parts, ...) come through {@link ResponseEntityExceptionHandler} and only get our type URI
 * and request id added; anything unexpected is logged with its stack trace and answered with a generic 500,
 * so no stack trace or server path reaches a client.
 */
@RestControllerAdvice
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final ServeProperties properties;

    public ApiExceptionHandler(ServeProperties properties) {
        this.properties = properties;
    }

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e, HttpServletRequest request) {
        HttpHeaders headers = new HttpHeaders();
        if (e.retryAfterSeconds() != null) {
            headers.set(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
        }
        return respond(Problems.of(e, request), headers);
    }

    /** The decoder's messages are one line and written for clients. */
    @ExceptionHandler(ImageException.class)
    ResponseEntity<ProblemDetail> image(ImageException e, HttpServletRequest request) {
        return respond(Problems.of(Problems.imageType(e), e.getMessage(), request), new HttpHeaders());
    }

    @ExceptionHandler(InferenceException.class)
    ResponseEntity<ProblemDetail> inference(InferenceException e, HttpServletRequest request) {
        LOG.error("inference failed", e);
        return respond(Problems.of(ProblemType.INFERENCE_FAILED, "the model failed while captioning; see the server log",
                request), new HttpHeaders());
    }

    /**
     * A multipart body that cannot be parsed (no boundary, cut short, malformed) is the client's fault. The size
     * limits ({@link MaxUploadSizeExceededException}, a subclass) keep their 413 through Spring's own handler.
     */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<ProblemDetail> multipart(MultipartException e, HttpServletRequest request) {
        return respond(Problems.of(ProblemType.INVALID_REQUEST, "the multipart body could not be read", request),
                new HttpHeaders());
    }

    /**
     * Spring reports Tomcat's part-count limit ({@code server.tomcat.max-part-count}) as an upload over the size
     * limit. It is a 400 here, not a 413: the size is fine, and no valid request has that many parts (one image
     * and a few fields), so the body is malformed rather than too large.
     */
    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(MaxUploadSizeExceededException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof FileCountLimitExceededException tooMany) {
                ProblemDetail problem = Problems.of(ProblemType.INVALID_REQUEST, "the multipart body has more than "
                        + tooMany.getLimit() + " parts; send one 'image' part and the parameters as fields",
                        ((NativeWebRequest) request).getNativeRequest(HttpServletRequest.class));
                problem.setProperty("max_parts", tooMany.getLimit());
                return ResponseEntity.status(HttpStatus.BAD_REQUEST).headers(headers)
                        .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
            }
        }
        return super.handleMaxUploadSizeExceededException(ex, headers, status, request);
    }

    /** Tomcat refuses query or form parameters that do not decode (invalid percent-encoding or UTF-8). */
    @ExceptionHandler(InvalidParameterException.class)
    ResponseEntity<ProblemDetail> undecodableParameter(InvalidParameterException e, HttpServletRequest request) {
        return respond(Problems.of(ProblemType.INVALID_REQUEST, "a query or form parameter could not be decoded "
                + "(invalid percent-encoding or UTF-8)", request), new HttpHeaders());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        LOG.error("unexpected error", e);
        return respond(Problems.of(ProblemType.INTERNAL_ERROR, "an unexpected error occurred; see the server log",
                request), new HttpHeaders());
    }

    /** Spring MVC's exceptions: keep its status and detail, add our type and the request id. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
                                                             HttpStatusCode statusCode, WebRequest request) {
        if (body == null && ex instanceof ErrorResponse error) {
            body = error.updateAndGetBody(getMessageSource(), LocaleContextHolder.getLocale());
        }
        ProblemDetail problem = body instanceof ProblemDetail p ? p : ProblemDetail.forStatus(statusCode);
        if (problem.getDetail() == null) {
            problem.setDetail(ProblemType.forStatus(statusCode.value()).title());
        }
        ProblemType type = ProblemType.forStatus(statusCode.value());
        problem.setType(type.uri());
        // One title per type (RFC 9457 3.1.3); Spring's generic titles only where our type is generic too.
        if (type != ProblemType.HTTP_ERROR || problem.getTitle() == null) {
            problem.setTitle(type.title());
        }
        HttpServletRequest servletRequest = ((NativeWebRequest) request).getNativeRequest(HttpServletRequest.class);
        if (servletRequest != null) {
            Problems.decorate(problem, servletRequest);
        }
        if (statusCode.is5xxServerError()) {
            LOG.error("request failed", ex);
        }
        return super.handleExceptionInternal(ex, problem, headers, statusCode, request);
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, HttpHeaders headers) {
        return ResponseEntity.status(problem.getStatus()).headers(headers)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}

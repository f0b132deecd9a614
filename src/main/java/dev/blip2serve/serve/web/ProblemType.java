package dev.blip2serve.serve.web;

import java.net.URI;
import org.springframework.http.HttpStatus;

/**
 * The problem types this API answers with (RFC 9457). The {@code type} URIs are part of the API: clients
 * branch on them, so a type is never renamed, only added.
 */
public enum ProblemType {
    INVALID_PARAMETER("invalid-parameter", HttpStatus.BAD_REQUEST, "Invalid parameter"),
    INVALID_REQUEST("invalid-request", HttpStatus.BAD_REQUEST, "Malformed request"),
    UNKNOWN_MODEL("unknown-model", HttpStatus.NOT_FOUND, "Unknown model"),
    UNKNOWN_PRECISION("unknown-precision", HttpStatus.NOT_FOUND, "Unknown precision"),
    NOT_FOUND("not-found", HttpStatus.NOT_FOUND, "Not found"),
    METHOD_NOT_ALLOWED("method-not-allowed", HttpStatus.METHOD_NOT_ALLOWED, "Method not allowed"),
    NOT_ACCEPTABLE("not-acceptable", HttpStatus.NOT_ACCEPTABLE, "Not acceptable"),
    PAYLOAD_TOO_LARGE("payload-too-large", HttpStatus.CONTENT_TOO_LARGE, "Content too large"),
    URI_TOO_LONG("uri-too-long", HttpStatus.URI_TOO_LONG, "URI too long"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
    INVALID_IMAGE("invalid-image", HttpStatus.UNPROCESSABLE_CONTENT, "Image cannot be used"),
    TOO_MANY_REQUESTS("too-many-requests", HttpStatus.TOO_MANY_REQUESTS, "Too many requests"),
    HEADERS_TOO_LARGE("headers-too-large", HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large"),
    VARIANT_UNAVAILABLE("variant-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Variant not available"),
    SERVICE_UNAVAILABLE("service-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Service unavailable"),
    DEADLINE_EXCEEDED("deadline-exceeded", HttpStatus.SERVICE_UNAVAILABLE, "Deadline exceeded"),
    INFERENCE_FAILED("inference-failed", HttpStatus.INTERNAL_SERVER_ERROR, "Inference failed"),
    INTERNAL_ERROR("internal-error", HttpStatus.INTERNAL_SERVER_ERROR, "Internal error"),
    HTTP_ERROR("http-error", HttpStatus.BAD_REQUEST, "Request failed");

    /** Every type URI starts with this. */
    public static final String BASE = "https://blip2-serve.dev/problems/";

    private final String slug;
    private final HttpStatus status;
    private final String title;

    ProblemType(String slug, HttpStatus status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    public URI uri() {
        return URI.create(BASE + slug);
    }

    public String slug() {
        return slug;
    }

    public HttpStatus status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The generic type for a status that Spring MVC or the container produced, not our own code. */
    public static ProblemType forStatus(int status) {
        return switch (status) {
            case 400 -> INVALID_REQUEST;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 413 -> PAYLOAD_TOO_LARGE;
            case 414 -> URI_TOO_LONG;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 422 -> INVALID_IMAGE;
            case 429 -> TOO_MANY_REQUESTS;
            case 431 -> HEADERS_TOO_LARGE;
            case 503 -> SERVICE_UNAVAILABLE;
            // Tomcat: a transfer coding or HTTP version the client asked for and the server lacks, not a fault.
            case 501, 505 -> HTTP_ERROR;
            default -> status >= 500 ? INTERNAL_ERROR : HTTP_ERROR;
        };
    }
}

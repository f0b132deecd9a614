package dev.blip2serve.serve.openai;

import dev.blip2serve.image.ImageException;
import dev.blip2serve.runtime.InferenceException;
import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Errors of {@code /v1/chat/completions} in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}},
 * instead of the service's problem+json (which every other path keeps). {@code code} is the service's problem type
 * in snake case ({@code model_not_found} for an unknown model or precision, {@code invalid_image},
 * {@code rate_limit_exceeded}); {@code param} names the request member at fault. An image that cannot be decoded is
 * a 400 here (OpenAI's status for it) where {@code /v1/captions} says 422; the other statuses are the service's.
 */
@RestControllerAdvice(assignableTypes = ChatCompletionsController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
public class OpenAiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiErrors.class);

    @ExceptionHandler(ApiException.class)
    ResponseEntity<Map<String, Object>> api(ApiException e) {
        Object param = e.properties().get("parameter");
        return respond(e.type(), e.getMessage(), param == null ? null : param.toString(), e.retryAfterSeconds());
    }

    @ExceptionHandler(ImageException.class)
    ResponseEntity<Map<String, Object>> image(ImageException e) {
        return respond(ProblemType.INVALID_IMAGE, e.getMessage(), "messages", null);
    }

    @ExceptionHandler(InferenceException.class)
    ResponseEntity<Map<String, Object>> inference(InferenceException e) {
        LOG.error("inference failed", e);
        return respond(ProblemType.INFERENCE_FAILED, "the model failed while captioning; see the server log", null, null);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Map<String, Object>> unexpected(Exception e) {
        LOG.error("unexpected error", e);
        return respond(ProblemType.INTERNAL_ERROR, "an unexpected error occurred; see the server log", null, null);
    }

    /** The {@code error} object for a problem that happened after a stream started. */
    static Map<String, Object> body(ProblemDetail problem) {
        ProblemType type = ProblemType.INTERNAL_ERROR;
        for (ProblemType t : ProblemType.values()) {
            if (t.uri().equals(problem.getType())) {
                type = t;
            }
        }
        Object param = problem.getProperties() == null ? null : problem.getProperties().get("parameter");
        return error(type, problem.getDetail(), param == null ? null : param.toString());
    }

    static int status(ProblemType type) {
        return type == ProblemType.INVALID_IMAGE ? 400 : type.status().value();
    }

    private static Map<String, Object> error(ProblemType type, String message, String param) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", switch (type) {
            case UNKNOWN_MODEL, UNKNOWN_PRECISION, NOT_FOUND -> "not_found_error";
            case TOO_MANY_REQUESTS -> "rate_limit_error";
            default -> type.status().is5xxServerError() ? "server_error" : "invalid_request_error";
        });
        error.put("param", param);
        error.put("code", switch (type) {
            case UNKNOWN_MODEL, UNKNOWN_PRECISION -> "model_not_found";
            case TOO_MANY_REQUESTS -> "rate_limit_exceeded";
            default -> type.slug().replace('-', '_');
        });
        return error;
    }

    private static ResponseEntity<Map<String, Object>> respond(ProblemType type, String message, String param,
                                                               Integer retryAfter) {
        HttpHeaders headers = new HttpHeaders();
        if (retryAfter != null) {
            headers.set(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfter));
        }
        return ResponseEntity.status(status(type)).headers(headers).contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("error", error(type, message, param)));
    }
}

package dev.blip2serve.serve.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Replaces Spring Boot's {@code /error} page for what happens outside Spring MVC's handlers (a filter that
 * throws, a container-level error): the same problem+json shape as everything else, and never the exception's
 * message or stack trace, since these errors were not written for clients.
 */
@Hidden
@RestController
public class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        int status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer s ? s : 500;
        if (status < 400) {
            status = 500;
        }
        ProblemType type = ProblemType.forStatus(status);
        ProblemDetail problem = Problems.of(type, status, type.title(), request);
        if (request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri) {
            try {
                problem.setInstance(java.net.URI.create(uri));
            } catch (IllegalArgumentException e) {
                // keep the error path as instance
            }
        }
        // The container may have reset the response (and the filter's header) before forwarding here.
        return ResponseEntity.status(status).header(RequestIds.HEADER, RequestIds.of(request))
                .contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}

package dev.blip2serve.serve.live;

import dev.blip2serve.serve.web.ProblemType;
import dev.blip2serve.serve.web.Problems;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;
import tools.jackson.databind.json.JsonMapper;

/**
 * The WebSocket handshake of {@code /v1/live}, whose refusals of a plain HTTP request (no {@code Upgrade: websocket},
 * no {@code Connection: upgrade}) are problem+json like every other error of the API, saying how to connect.
 */
class LiveHandshakeHandler extends DefaultHandshakeHandler {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    protected void handleInvalidUpgradeHeader(ServerHttpRequest request, ServerHttpResponse response) throws IOException {
        refuse(request, response);
    }

    @Override
    protected void handleInvalidConnectHeader(ServerHttpRequest request, ServerHttpResponse response) throws IOException {
        refuse(request, response);
    }

    private static void refuse(ServerHttpRequest request, ServerHttpResponse response) throws IOException {
        String detail = LiveSession.PATH + " is a WebSocket: connect with a WebSocket client (ws://host" + LiveSession.PATH
                + "?precision=...), which sends Upgrade: websocket and Connection: Upgrade";
        // The service runs on a servlet container, whose requests these are.
        ProblemDetail problem = Problems.of(ProblemType.INVALID_REQUEST, detail,
                ((ServletServerHttpRequest) request).getServletRequest());
        response.setStatusCode(HttpStatus.BAD_REQUEST);
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        response.getBody().write(JSON.writeValueAsBytes(Problems.asMap(problem)));
    }
}

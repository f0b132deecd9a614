package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.web.Problems;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a streamed caption as Server-Sent Events: {@code event: start}, {@code event: token} (one per new token),
 * then {@code event: result} (the whole {@code /v1/captions} response) or {@code event: error} (a problem object),
 * each with one line of JSON as {@code data}.
 */
final class SseCaptionEvents implements CaptionEvents {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final MediaType UTF8_TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);

    private final SseEmitter emitter;

    SseCaptionEvents(SseEmitter emitter) {
        this.emitter = emitter;
    }

    @Override
    public void start(Start start) {
        send("start", start);
    }

    @Override
    public void token(Token token) {
        send("token", token);
    }

    @Override
    public void result(CaptionService.Captioned captioned) {
        send("result", captioned.response());
    }

    @Override
    public void error(ProblemDetail problem) {
        send("error", Problems.asMap(problem));
    }

    @Override
    public void close() {
        emitter.complete();
    }

    private void send(String name, Object data) {
        // Compact JSON has no line breaks, so each event's data is exactly one "data:" line.
        String json = JSON.writeValueAsString(data);
        try {
            emitter.send(SseEmitter.event().name(name).data(json, UTF8_TEXT));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

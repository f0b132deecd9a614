package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import dev.blip2serve.serve.model.VariantKey;
import dev.blip2serve.serve.web.ProblemType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/captions:stream} on a real port against fake variants, read as raw bytes off a socket (HTTP/1.0,
 * so the body is the event stream itself, without chunked framing): the exact SSE framing, the order of events,
 * token texts that add up to the caption, beams without token events, refusals as ordinary problems before the
 * stream, and a failure after the start as an {@code error} event.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.load-on-startup=false",
        "blip2.batching.max-queued=0",
        "blip2.batching.max-batch=1"})
class CaptionStreamTest {

    @LocalServerPort
    int port;
    @Autowired
    ModelRegistry registry;

    private final JsonMapper json = JsonMapper.builder().build();
    private FakeCaptionModel fp32;
    private byte[] png;

    @BeforeEach
    void setUp() throws IOException {
        fp32 = new FakeCaptionModel("shapes-blip2", "fp32");
        variant("fp32").ready(fp32);
        variant("w4a4").failed("broken", null);
        png = FakeServiceTest.png(20, 10);
    }

    private Variant variant(String name) {
        return registry.register(new VariantKey("shapes-blip2", name), Path.of("unused", name));
    }

    /** A raw HTTP/1.0 exchange: status line, headers, body until the server closes. */
    record Raw(int status, String headers, String body) {
    }

    private Raw post(String pathAndQuery, String contentType, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + pathAndQuery + " HTTP/1.0\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                    + "Content-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String head = text.substring(0, split);
            int status = Integer.parseInt(head.substring(head.indexOf(' ') + 1, head.indexOf(' ') + 4));
            return new Raw(status, head, text.substring(split + 4));
        }
    }

    /** One SSE event: its name and its data, exactly as framed. */
    record Event(String name, String data) {
    }

    /**
     * Parses strictly: every event is "event:NAME\ndata:ONE-LINE-JSON\n" followed by an empty line, and nothing
     * else is in the stream.
     */
    private static List<Event> events(String body) {
        assertThat(body).endsWith("\n\n").doesNotContain("\r");
        List<Event> events = new ArrayList<>();
        for (String block : body.substring(0, body.length() - 2).split("\n\n", -1)) {
            String[] lines = block.split("\n", -1);
            assertThat(lines).as("event block %s", block).hasSize(2);
            assertThat(lines[0]).startsWith("event:");
            assertThat(lines[1]).startsWith("data:");
            events.add(new Event(lines[0].substring(6).strip(), lines[1].substring(5).strip()));
        }
        return events;
    }

    @Test
    void greedyStreamsOneEventPerTokenThenTheResult() throws Exception {
        Raw r = post("/v1/captions:stream?max_new_tokens=5", "image/png", png);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.headers()).containsIgnoringCase("Content-Type: text/event-stream").containsIgnoringCase("X-Request-Id:");
        List<Event> events = events(r.body());
        assertThat(events).extracting(Event::name).containsExactly("start", "token", "token", "token", "result");

        JsonNode start = json.readTree(events.getFirst().data());
        assertThat(start.path("precision").asString()).isEqualTo("fp32");
        assertThat(start.path("streams_tokens").asBoolean()).isTrue();
        assertThat(start.path("image").path("width").asInt()).isEqualTo(20);

        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            JsonNode token = json.readTree(events.get(i).data());
            assertThat(token.path("index").asInt()).isEqualTo(i - 1);
            assertThat(token.path("token_id").asLong()).isEqualTo(9 + i);
            text.append(token.path("text").asString());
            assertThat(token.path("caption").asString()).isEqualTo(text.toString());
        }
        JsonNode result = json.readTree(events.getLast().data());
        assertThat(text.toString()).isEqualTo(FakeCaptionModel.TEXT);
        assertThat(result.path("captions").get(0).path("text").asString()).isEqualTo(FakeCaptionModel.TEXT);
        assertThat(result.path("request_id").asString()).isEqualTo(start.path("request_id").asString());
        assertThat(result.path("timings_ms").path("total").isNumber()).isTrue();
        assertThat(fp32.lastParams.maxNewTokens()).isEqualTo(5);
    }

    @Test
    void beamsStreamOnlyTheResult() throws Exception {
        Raw r = post("/v1/captions:stream?num_beams=3&num_captions=2", "image/png", png);
        assertThat(r.status()).isEqualTo(200);
        List<Event> events = events(r.body());
        assertThat(events).extracting(Event::name).containsExactly("start", "result");
        assertThat(json.readTree(events.getFirst().data()).path("streams_tokens").asBoolean()).isFalse();
        assertThat(json.readTree(events.getLast().data()).path("captions").size()).isEqualTo(2);
    }

    @Test
    void refusalsAreOrdinaryProblemsBeforeTheStream() throws Exception {
        Raw unknown = post("/v1/captions:stream?precision=int3", "image/png", png);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.headers()).containsIgnoringCase("Content-Type: application/problem+json");
        assertThat(json.readTree(unknown.body()).path("type").asString())
                .isEqualTo(ProblemType.UNKNOWN_PRECISION.uri().toString());

        Raw failed = post("/v1/captions:stream?precision=w4a4", "image/png", png);
        assertThat(failed.status()).isEqualTo(503);

        Raw bad = post("/v1/captions:stream?max_new_tokens=0", "image/png", png);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(json.readTree(bad.body()).path("parameter").asString()).isEqualTo("max_new_tokens");

        Raw image = post("/v1/captions:stream", "image/png", "not a png".getBytes(StandardCharsets.UTF_8));
        assertThat(image.status()).isEqualTo(422);
        assertThat(image.headers()).containsIgnoringCase("Content-Type: application/problem+json");
    }

    @Test
    void aFailureAfterTheStartIsAnErrorEvent() throws Exception {
        fp32.failWith = new IllegalStateException("secret internal detail");
        Raw r = post("/v1/captions:stream", "image/png", png);
        assertThat(r.status()).isEqualTo(200);
        List<Event> events = events(r.body());
        assertThat(events).extracting(Event::name).containsExactly("start", "error");
        JsonNode problem = json.readTree(events.getLast().data());
        assertThat(problem.path("type").asString()).isEqualTo(ProblemType.INTERNAL_ERROR.uri().toString());
        assertThat(problem.path("status").asInt()).isEqualTo(500);
        assertThat(problem.path("request_id").asString()).isNotEmpty();
        assertThat(r.body()).doesNotContain("secret");
    }

    @Test
    void jsonAndMultipartFormsStreamToo() throws Exception {
        String b64 = java.util.Base64.getEncoder().encodeToString(png);
        Raw fromJson = post("/v1/captions:stream", "application/json",
                ("{\"image\":\"" + b64 + "\",\"prompt\":\"Question: what? Answer:\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(fromJson.status()).isEqualTo(200);
        assertThat(events(fromJson.body()).getLast().name()).isEqualTo("result");
        assertThat(fp32.lastPrompt).isEqualTo("Question: what? Answer:");

        String boundary = "b0undary";
        ByteArrayOutputStream form = new ByteArrayOutputStream();
        form.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        form.write(png);
        form.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        Raw multipart = post("/v1/captions:stream", "multipart/form-data; boundary=" + boundary, form.toByteArray());
        assertThat(multipart.status()).isEqualTo(200);
        assertThat(events(multipart.body()).getLast().name()).isEqualTo("result");
    }
}

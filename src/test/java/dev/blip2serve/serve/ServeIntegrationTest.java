package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.runtime.OrtOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real service on a random port against a fresh repository: it builds shapes-blip2 fp32 from the bundled
 * checkpoint, loads and warms it up, becomes ready, captions a fixture image in every input form exactly as the
 * engine does directly, keeps serving next to a variant that fails to load, and exports the meters.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServeIntegrationTest {

    private static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0000.png");
    // Generous: converting and loading on a loaded 2-core CI box; this is a bound on waiting, not a latency check.
    private static final Duration READY_WITHIN = Duration.ofMinutes(10);

    @TempDir
    static Path repository;

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonMapper json = JsonMapper.builder().build();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        assertThat(repository).as("@TempDir is set before the context starts").isNotNull();
        // A model whose only variant has a broken manifest: it must be reported, not stop the default.
        Path broken = Files.createDirectories(repository.resolve("broken-model/fp32"));
        Files.writeString(broken.resolve("manifest.json"), "{ not json");
        registry.add("blip2.repository", repository::toString);
        registry.add("blip2.bootstrap-variants", () -> "fp32");
    }

    private static volatile boolean ready;

    /** Once per class; an instance method because the port is injected into instances. */
    @BeforeEach
    void waitUntilReady() throws Exception {
        if (ready) {
            return;
        }
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (true) {
            HttpResponse<String> r = get("/actuator/health/readiness");
            if (r.statusCode() == 200) {
                ready = true;
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not ready: " + r.body() + "\nmodels: " + get("/v1/models").body());
            }
            Thread.sleep(250);
        }
    }

    @Test
    void captionsEqualTheEngineInEveryInputForm() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        String expected = engineCaption(png);
        assertThat(expected).isNotBlank();

        HttpResponse<String> multipart = send(HttpRequest.newBuilder(uri("/v1/captions?max_new_tokens=20"))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .header("X-Request-Id", "it-1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(png))));
        assertThat(multipart.statusCode()).as(multipart.body()).isEqualTo(200);
        assertThat(multipart.headers().firstValue("X-Request-Id")).contains("it-1");
        JsonNode body = json.readTree(multipart.body());
        assertThat(body.path("request_id").asString()).isEqualTo("it-1");
        assertThat(body.path("model").asString()).isEqualTo("shapes-blip2");
        assertThat(body.path("precision").asString()).isEqualTo("fp32");
        assertThat(body.path("captions").get(0).path("text").asString()).isEqualTo(expected);
        assertThat(body.path("captions").get(0).path("logprob").asDouble()).isNegative();
        assertThat(body.path("image").path("format").asString()).isEqualTo("png");
        assertThat(body.path("image").path("width").asInt()).isPositive();
        assertThat(body.path("tokens").path("prompt").asInt()).isEqualTo(1);
        assertThat(body.path("tokens").path("generated").asInt()).isPositive();
        for (String stage : List.of("queue", "preprocess", "vision", "prefill", "decode", "total")) {
            assertThat(body.path("timings_ms").path(stage).isNumber()).as(stage).isTrue();
        }

        HttpResponse<String> raw = send(HttpRequest.newBuilder(uri("/v1/captions?precision=fp32&max_new_tokens=20"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)));
        assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
        assertThat(json.readTree(raw.body()).path("captions").get(0).path("text").asString()).isEqualTo(expected);

        String b64 = Base64.getEncoder().encodeToString(png);
        HttpResponse<String> fromJson = send(HttpRequest.newBuilder(uri("/v1/captions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"data:image/png;base64," + b64
                        + "\",\"max_new_tokens\":20}")));
        assertThat(fromJson.statusCode()).as(fromJson.body()).isEqualTo(200);
        assertThat(json.readTree(fromJson.body()).path("captions").get(0).path("text").asString()).isEqualTo(expected);
    }

    @Test
    void beamsReturnNBestAndPromptsAsk() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions?num_beams=3&num_captions=2"
                        + "&prompt=Question:%20what%20color%20is%20the%20diamond?%20Answer:&max_new_tokens=5"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("captions").size()).isEqualTo(2);
        assertThat(body.path("tokens").path("prompt").asInt()).isGreaterThan(1);
    }

    @Test
    void modelsReportTheReadyAndTheFailedVariant() throws Exception {
        JsonNode models = json.readTree(get("/v1/models").body());
        JsonNode fp32 = variant(models, "shapes-blip2", "fp32");
        assertThat(fp32.path("state").asString()).isEqualTo("ready");
        assertThat(fp32.path("is_default").asBoolean()).isTrue();
        assertThat(fp32.path("bytes_on_disk").asLong()).isPositive();
        assertThat(fp32.path("method").path("name").asString()).isEqualTo("convert");
        JsonNode broken = variant(models, "broken-model", "fp32");
        assertThat(broken.path("state").asString()).isEqualTo("failed");
        assertThat(broken.path("reason").asString()).contains("manifest").doesNotContain(repository.toString());

        HttpResponse<String> refused = send(HttpRequest.newBuilder(uri("/v1/captions?model=broken-model"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(IMAGE))));
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    }

    @Test
    void prometheusHasTheCaptionMetersWithTheirTags() throws Exception {
        HttpResponse<String> caption = send(HttpRequest.newBuilder(uri("/v1/captions"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(IMAGE))));
        assertThat(caption.statusCode()).isEqualTo(200);
        HttpResponse<String> bad = send(HttpRequest.newBuilder(uri("/v1/captions"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofString("not an image")));
        assertThat(bad.statusCode()).isEqualTo(422);

        String scrape = get("/actuator/prometheus").body();
        String variant = "model=\"shapes-blip2\"";
        String precision = "precision=\"fp32\"";
        assertThat(lines(scrape, "blip2_caption_latency_seconds_bucket", variant, precision, "outcome=\"success\"")).isNotEmpty();
        assertThat(lines(scrape, "blip2_caption_latency_seconds_count", variant, precision, "outcome=\"client_error\"")).isNotEmpty();
        for (String stage : List.of("queue", "preprocess", "vision", "prefill", "decode")) {
            assertThat(lines(scrape, "blip2_stage_latency_seconds_bucket", variant, precision, "stage=\"" + stage + "\""))
                    .as(stage).isNotEmpty();
        }
        assertThat(lines(scrape, "blip2_generated_tokens_total", variant, precision)).isNotEmpty();
        assertThat(lines(scrape, "blip2_time_to_first_token_seconds_count", variant, precision)).isNotEmpty();
        assertThat(lines(scrape, "blip2_model_bytes", variant, precision)).isNotEmpty();
        assertThat(lines(scrape, "blip2_inflight", variant, precision)).isNotEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static final String BOUNDARY = "blip2-test-boundary";

    private static byte[] multipartBody(byte[] png) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"precision\"\r\n\r\nfp32\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"eval.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(png);
        out.write(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** What the engine says for the same image with the service's defaults (greedy, 20 new tokens, no prompt). */
    private static String engineCaption(byte[] png) {
        try (Blip2Model model = Blip2Model.open(repository.resolve("shapes-blip2/fp32"), OrtOptions.cpu(), false)) {
            float[] pixels = model.preprocessor().preprocess(png);
            return model.caption(List.of(pixels), List.of(""), model.defaultParams(20)).images().getFirst().best().text();
        }
    }

    private static JsonNode variant(JsonNode models, String model, String precision) {
        for (JsonNode v : models.path("variants")) {
            if (v.path("model").asString().equals(model) && v.path("precision").asString().equals(precision)) {
                return v;
            }
        }
        throw new AssertionError(model + "/" + precision + " not listed: " + models);
    }

    private static List<String> lines(String scrape, String metric, String... labels) {
        Pattern start = Pattern.compile("^" + Pattern.quote(metric) + "\\{");
        return scrape.lines().filter(l -> start.matcher(l).find())
                .filter(l -> List.of(labels).stream().allMatch(l::contains)).toList();
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

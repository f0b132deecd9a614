package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.serve.model.HttpWarmUp;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The real service ({@link RealServiceTest}): it builds shapes-blip2 fp32 and fp16 from the bundled checkpoint,
 * loads and warms them up, becomes ready, captions a fixture image in every input form exactly as the engine does
 * directly, compares the two precisions, streams tokens that add up to the same caption, keeps serving next to a
 * variant that fails to load, and exports every meter for both precisions.
 */
class ServeIntegrationTest extends RealServiceTest {

    @Test
    void everyWarmUpBodyIsARequestTheServiceAnswersWithTheSameCaption() throws Exception {
        var jpegOut = new ByteArrayOutputStream();
        ImageIO.write(ImageIO.read(IMAGE.toFile()), "jpeg", jpegOut);
        byte[] jpeg = jpegOut.toByteArray();
        String expected = null;
        for (HttpWarmUp.Body form : HttpWarmUp.Body.values()) {
            var body = form.encode(jpeg);
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions?precision=fp32&max_new_tokens=20"))
                    .expectContinue(true).header("Content-Type", body.getKey())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.getValue())));
            assertThat(r.statusCode()).as(form + ": " + r.body()).isEqualTo(200);
            JsonNode answer = json.readTree(r.body());
            assertThat(answer.path("image").path("format").asString()).as(form.name()).isEqualTo("jpeg");
            String text = answer.path("captions").get(0).path("text").asString();
            assertThat(text).as(form.name()).isNotBlank().isEqualTo(expected == null ? text : expected);
            expected = text;
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
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipartBody(png, "precision", "fp32"))));
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
        assertThat(body.path("batch_size").asInt()).isEqualTo(1);
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
        // Linux: the growth of the process RSS while it loaded is measured (a number; it may be small or negative)
        assertThat(fp32.path("memory").path("load_resident_delta_bytes").isNumber()).isTrue();
        assertThat(variant(models, "shapes-blip2", "fp16").path("state").asString()).isEqualTo("ready");
        JsonNode broken = variant(models, "broken-model", "fp32");
        assertThat(broken.path("state").asString()).isEqualTo("failed");
        assertThat(broken.path("reason").asString()).contains("manifest").doesNotContain(REPOSITORY.toString());

        HttpResponse<String> refused = send(HttpRequest.newBuilder(uri("/v1/captions?model=broken-model"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(IMAGE))));
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    }

    @Test
    void compareCaptionsWithBothPrecisionsSideBySide() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        HttpResponse<String> r = send(postPng("/v1/captions:compare?precisions=fp32,fp16", png));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("image").path("format").asString()).isEqualTo("png");
        JsonNode results = body.path("results");
        assertThat(results.size()).isEqualTo(2);
        assertThat(results.get(0).path("precision").asString()).isEqualTo("fp32");
        assertThat(results.get(1).path("precision").asString()).isEqualTo("fp16");
        for (JsonNode result : results) {
            assertThat(result.path("status").asInt()).as(result.toString()).isEqualTo(200);
            assertThat(result.path("captions").get(0).path("text").asString()).isNotBlank();
            assertThat(result.path("timings_ms").path("total").asDouble()).isPositive();
        }
        assertThat(results.get(0).path("captions").get(0).path("text").asString()).isEqualTo(engineCaption(png));
    }

    @Test
    void streamedTokensAddUpToTheEnginesCaption() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        HttpResponse<String> r = send(postPng("/v1/captions:stream?max_new_tokens=20", png)
                .header("Accept", "text/event-stream"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        String stream = r.body();
        assertThat(stream).endsWith("\n\n");
        List<String> names = new java.util.ArrayList<>();
        List<JsonNode> data = new java.util.ArrayList<>();
        for (String block : stream.substring(0, stream.length() - 2).split("\n\n")) {
            String[] lines = block.split("\n");
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event:");
            assertThat(lines[1]).startsWith("data:");
            names.add(lines[0].substring(6).strip());
            data.add(json.readTree(lines[1].substring(5)));
        }
        assertThat(names.getFirst()).isEqualTo("start");
        assertThat(names.getLast()).isEqualTo("result");
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < names.size() - 1; i++) {
            assertThat(names.get(i)).isEqualTo("token");
            text.append(data.get(i).path("text").asString());
        }
        JsonNode result = data.getLast();
        String caption = result.path("captions").get(0).path("text").asString();
        assertThat(text.toString()).isEqualTo(caption);
        assertThat(caption).isEqualTo(engineCaption(png));
        assertThat(names.size() - 2).isEqualTo(result.path("tokens").path("generated").asInt());
    }

    @Test
    void prometheusHasEveryMeterForTwoPrecisions() throws Exception {
        byte[] png = Files.readAllBytes(IMAGE);
        for (String precision : List.of("fp32", "fp16")) {
            HttpResponse<String> caption = send(postPng("/v1/captions?precision=" + precision, png));
            assertThat(caption.statusCode()).as(caption.body()).isEqualTo(200);
        }
        HttpResponse<String> bad = send(postPng("/v1/captions", "not an image".getBytes(StandardCharsets.UTF_8)));
        assertThat(bad.statusCode()).isEqualTo(422);

        String scrape = get("/actuator/prometheus").body();
        String model = "model=\"shapes-blip2\"";
        for (String p : List.of("fp32", "fp16")) {
            String precision = "precision=\"" + p + "\"";
            assertThat(lines(scrape, "blip2_caption_latency_seconds_bucket", model, precision, "outcome=\"success\""))
                    .as(p).isNotEmpty();
            for (String stage : List.of("queue", "preprocess", "vision", "prefill", "decode")) {
                assertThat(lines(scrape, "blip2_stage_latency_seconds_bucket", model, precision, "stage=\"" + stage + "\""))
                        .as(p + " " + stage).isNotEmpty();
            }
            for (String metric : List.of("blip2_generated_tokens_total", "blip2_time_to_first_token_seconds_count",
                    "blip2_time_per_output_token_seconds_count", "blip2_batch_size_count", "blip2_batch_size_bucket",
                    "blip2_queue_depth", "blip2_inflight", "blip2_queue_capacity", "blip2_model_bytes",
                    "blip2_variant_ready", "blip2_variant_load_resident_delta_bytes")) {
                assertThat(lines(scrape, metric, model, precision)).as(p + " " + metric).isNotEmpty();
            }
            assertThat(Scrape.value(scrape, "blip2_model_bytes", model, precision)).as(p).isPositive();
        }
        assertThat(lines(scrape, "blip2_caption_latency_seconds_count", model, "precision=\"fp32\"",
                "outcome=\"client_error\"")).isNotEmpty();
        assertThat(scrape).contains("blip2_process_resident_memory_bytes ").contains("jvm_memory_used_bytes{");
        // Tags are bounded: no raw request input (a request id, a prompt) becomes a label.
        assertThat(scrape).doesNotContain("request_id=").doesNotContain("prompt=");
    }

    // ------------------------------------------------------------------ helpers

    /** What the engine says for the same image with the service's defaults (greedy, 20 new tokens, no prompt). */
    private static String engineCaption(byte[] png) {
        try (Blip2Model model = Blip2Model.open(REPOSITORY.resolve("shapes-blip2/fp32"), OrtOptions.cpu(), false)) {
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
        return Scrape.lines(scrape, metric, labels);
    }
}

package dev.blip2serve.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.model.CaptionModel;
import dev.blip2serve.serve.model.ModelRegistry;
import dev.blip2serve.serve.model.Variant;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Issue 8, item 4 (faults), against the real service of {@link ReliabilityService}: variants whose files are
 * missing, truncated or do not match the manifest's hash are {@code failed} with the reason while the default
 * variant serves; a runtime error inside one request (injected into the real engine of fp32) fails that request
 * only, as a 500 problem with its request id, and the service keeps captioning, also concurrently.
 */
class FaultsTest extends ReliabilityService {

    static final String PROBLEMS = "https://blip2-serve.dev/problems/";

    @Autowired
    ModelRegistry registry;

    @Test
    void brokenVariantsFailWithTheirReasonWhileTheOthersServe() throws Exception {
        Map<String, String> reasons = Map.of(
                "missing", "config.json: missing",
                "truncated", "config.json: " + FaultyVariants.CONFIG.length() / 2 + " bytes, manifest says " + FaultyVariants.CONFIG.length(),
                "tampered", "config.json: SHA-256 does not match the manifest",
                "null-entry", "manifest.json has a files entry without a name or SHA-256");
        JsonNode models = waitForFaults();
        for (Map.Entry<String, String> e : reasons.entrySet()) {
            JsonNode v = variant(models, FaultyVariants.MODEL, e.getKey());
            assertThat(v.path("state").asString()).as(e.getKey()).isEqualTo("failed");
            assertThat(v.path("reason").asString()).as(e.getKey()).contains(e.getValue())
                    .doesNotContain(REPOSITORY.toString());

            HttpResponse<String> refused = send(pngRequest("/v1/captions?model=faults&precision=" + e.getKey()));
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            JsonNode problem = json.readTree(refused.body());
            assertThat(problem.path("type").asString()).isEqualTo(PROBLEMS + "variant-unavailable");
            assertThat(problem.path("state").asString()).isEqualTo("failed");
            assertThat(problem.path("request_id").asString()).isNotBlank();
        }
        assertThat(variant(models, "shapes-blip2", "fp32").path("state").asString()).isEqualTo("ready");
        HttpResponse<String> ok = send(pngRequest("/v1/captions"));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void aRuntimeErrorInsideOneRequestFailsThatRequestOnly() throws Exception {
        Variant fp32 = registry.find("shapes-blip2", "fp32").orElseThrow();
        CaptionModel real = fp32.status().model();
        fp32.ready(new Faulty(real));
        try {
            HttpResponse<String> failed = send(pngRequest("/v1/captions?prompt=FAULT").header("X-Request-Id", "fault-1"));
            assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
            assertThat(failed.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/problem+json"));
            JsonNode problem = json.readTree(failed.body());
            assertThat(problem.path("type").asString()).isIn(
                    PROBLEMS + "inference-failed", PROBLEMS + "internal-error");
            assertThat(problem.path("request_id").asString()).isEqualTo("fault-1");
            assertThat(failed.body()).doesNotContain("injected").doesNotContain("Exception").doesNotContain("\tat ");

            // A failing request among good ones with the same parameters, sent together so that they can share a
            // batch: only it fails (a failed batch is retried in halves).
            CompletableFuture<HttpResponse<String>> bad = http.sendAsync(
                    pngRequest("/v1/captions?prompt=FAULT&max_new_tokens=3").build(), HttpResponse.BodyHandlers.ofString());
            List<CompletableFuture<HttpResponse<String>>> good = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                good.add(http.sendAsync(pngRequest("/v1/captions?prompt=a%20photo%20of&max_new_tokens=3").build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(bad.get().statusCode()).isEqualTo(500);
            for (CompletableFuture<HttpResponse<String>> g : good) {
                assertThat(g.get().statusCode()).as(g.get().body()).isEqualTo(200);
            }

            HttpResponse<String> after = send(pngRequest("/v1/captions"));
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            assertThat(json.readTree(get("/v1/models").body()).toString()).contains("\"state\":\"ready\"");
        } finally {
            fp32.ready(real);
        }
    }

    private HttpRequest.Builder pngRequest(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(BadInputFiles.resource("images/rgb8.png")));
    }

    private JsonNode waitForFaults() throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            JsonNode models = json.readTree(get("/v1/models").body());
            boolean loading = false;
            for (String name : List.of("missing", "truncated", "tampered", "null-entry")) {
                JsonNode v = variant(models, FaultyVariants.MODEL, name);
                loading |= v == null || v.path("state").asString().equals("loading");
            }
            if (!loading || System.nanoTime() > deadline) {
                return models;
            }
            Thread.sleep(200);
        }
    }

    private static JsonNode variant(JsonNode models, String model, String precision) {
        for (JsonNode v : models.path("variants")) {
            if (v.path("model").asString().equals(model) && v.path("precision").asString().equals(precision)) {
                return v;
            }
        }
        return null;
    }

    /** The real engine, except that a batch with a prompt containing "FAULT" throws. */
    private record Faulty(CaptionModel real) implements CaptionModel {
        @Override
        public Manifest manifest() {
            return real.manifest();
        }

        @Override
        public float[] preprocess(DecodedImage image) {
            return real.preprocess(image);
        }

        @Override
        public int promptTokens(String prompt) {
            return real.promptTokens(prompt);
        }

        @Override
        public int queryTokens() {
            return real.queryTokens();
        }

        @Override
        public int maxPositions() {
            return real.maxPositions();
        }

        @Override
        public dev.blip2serve.generation.GenerationParams generationParams(
                dev.blip2serve.generation.GenerationRequest request) {
            return real.generationParams(request);
        }

        @Override
        public dev.blip2serve.engine.CaptionBatch caption(List<float[]> pixels, List<String> prompts,
                dev.blip2serve.generation.GenerationParams params, dev.blip2serve.generation.TokenListener listener) {
            if (prompts.stream().anyMatch(p -> p.contains("FAULT"))) {
                throw new IllegalStateException("injected fault in the engine");
            }
            return real.caption(pixels, prompts, params, listener);
        }

        @Override
        public String decode(long[] tokens) {
            return real.decode(tokens);
        }

        @Override
        public void warmUp() {
            real.warmUp();
        }

        @Override
        public void close() {
            // the real model is closed by the registry
        }
    }
}

package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.hub.TestHub;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The real service configured with models named by hub repository id, fetched from a hub on 127.0.0.1 on its first
 * start: a checkpoint (converted to fp32, the default variant, so readiness waits for the download) and a repository
 * of pre-converted variants (verified by its manifest and installed). Both caption as transformers does.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.bootstrap-variants=",
        "blip2.default-model=hub-shapes",
        "blip2.default-precision=fp32",
        "blip2.models[0].source=test-org/shapes-blip2",
        "blip2.models[0].name=hub-shapes",
        "blip2.models[0].precisions=fp32",
        "blip2.models[1].source=test-org/shapes-onnx",
        "blip2.models[1].precisions=fp32"})
class HubModelsServiceTest extends LoopbackService {

    static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");
    static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0000.png");
    static final String HF_CAPTION = "a purple circle to the left of a blue diamond";
    static final Path REPOSITORY = temporaryFolder("blip2-serve-hub-repo-");
    static final Path CACHE = temporaryFolder("blip2-serve-hub-cache-");
    static final TestHub HUB = hub();

    static TestHub hub() {
        try {
            TestHub hub = new TestHub();
            hub.publish("test-org/shapes-blip2", SHAPES, null);
            Path published = temporaryFolder("blip2-serve-hub-published-");
            Blip2Converter.convert(Blip2Converter.Request.of(SHAPES, published, "shapes-onnx", FloatVariant.parse("fp32")),
                    ProgressListener.NONE);
            hub.publish("test-org/shapes-onnx", published, null);
            return hub;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void hubProperties(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
        registry.add("blip2.hub.endpoint", HUB::endpoint);
        registry.add("blip2.hub.cache-dir", CACHE::toString);
    }

    @AfterAll
    static void stopHub() {
        HUB.close();
    }

    @Test
    void modelsNamedByRepoIdAreFetchedConvertedAndServed() throws Exception {
        awaitService(() -> {
            HttpResponse<String> ready = get("/actuator/health/readiness");
            JsonNode models = json.readTree(get("/v1/models").body());
            String onnx = state(models, "shapes-onnx");
            if (onnx.equals("failed") || state(models, "hub-shapes").equals("failed")) {
                throw new AssertionError(models.toString());
            }
            return ready.statusCode() == 200 && onnx.equals("ready") ? null : "waiting: " + models;
        });
        JsonNode models = json.readTree(get("/v1/models").body());
        assertThat(state(models, "hub-shapes")).isEqualTo("ready");

        for (String model : new String[] {"hub-shapes", "shapes-onnx"}) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions?model=" + model + "&max_new_tokens=24"))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofFile(IMAGE)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json.readTree(r.body()).path("captions").get(0).path("text").asString()).as(model).isEqualTo(HF_CAPTION);
        }
        // huggingface_hub's cache holds the downloads; the repository holds only complete variants
        assertThat(CACHE.resolve("models--test-org--shapes-blip2/refs/main")).isRegularFile();
        assertThat(CACHE.resolve("models--test-org--shapes-onnx/refs/main")).isRegularFile();
        try (var s = Files.list(REPOSITORY.resolve("hub-shapes"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("fp32");
        }
        assertThat(REPOSITORY.resolve("shapes-onnx/fp32/manifest.json")).isRegularFile();
        assertThat(HUB.log()).contains("hub GET /api/models/test-org/shapes-blip2/revision/main");
    }

    private static String state(JsonNode models, String model) {
        for (JsonNode v : models.path("variants")) {
            if (v.path("model").asString().equals(model) && v.path("precision").asString().equals("fp32")) {
                return v.path("state").asString();
            }
        }
        return "absent";
    }
}

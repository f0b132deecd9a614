package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.eval.EvalRunner;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.runtime.OrtOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The real service on a random port with a fresh repository: it converts the bundled fp32, becomes ready, and then
 * quantizes w8a8 and w4a4-g128 in the background and scores them (and fp32) on the bundled eval set. Kept cheap for
 * every build: 8 calibration images and the first 8 eval items (the defaults are all 128 and all 300).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.bootstrap-variants=fp32",
        "blip2.auto-quantize.presets=w8a8,w4a4-g128",
        "blip2.auto-quantize.calibration-limit=8",
        "blip2.auto-quantize.eval-limit=8",
        "blip2.auto-quantize.threads=1"})
class BackgroundQuantizationServiceTest extends LoopbackService {

    static final Path REPOSITORY = temporaryFolder("blip2-serve-autoq-");
    static final String DATASET = "shapes-blip2/eval[:8]";
    static final Path EVAL = Path.of("data/shapes-blip2/eval/eval.json");
    static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0003.png");

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
    }

    @Test
    void quantizedVariantsAppearWithTheirQualityAndCaptionOverHttp() throws Exception {
        awaitService(() -> {
            JsonNode models = json.readTree(get("/v1/models").body());
            for (String p : List.of("fp32", "w8a8", "w4a4-g128")) {
                JsonNode v = variant(models, p);
                if (v == null || !v.path("state").asString().equals("ready") || v.path("quality").path(DATASET).isMissingNode()) {
                    return "waiting for " + p + ": " + models;
                }
            }
            return null;
        });
        assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);

        JsonNode models = json.readTree(get("/v1/models").body());
        String scrape = get("/actuator/prometheus").body();
        for (String p : List.of("fp32", "w8a8", "w4a4-g128")) {
            Path dir = REPOSITORY.resolve("shapes-blip2").resolve(p);
            Map<String, Double> expected = score(dir);
            JsonNode quality = variant(models, p).path("quality").path(DATASET);
            assertThat(quality.path("cider_d").asDouble()).as(p + " CIDEr-D in /v1/models").isEqualTo(expected.get("cider_d"));
            assertThat(quality.path("bleu_4").asDouble()).isEqualTo(expected.get("bleu_4"));
            assertThat(ManifestIo.read(dir).quality().get(DATASET)).as(p + " manifest").isEqualTo(expected);
            assertThat(Scrape.value(scrape, "blip2_variant_quality", "precision=\"" + p + "\"",
                    "dataset=\"" + DATASET + "\"", "metric=\"cider_d\"")).as(p + " gauge").isEqualTo(expected.get("cider_d"));
        }
        assertThat(variant(models, "w4a4-g128").path("method").path("parameters").path("preset").asString()).isEqualTo("w4a4-g128");
        assertThat(variant(models, "w8a8").path("calibration").path("count").asInt()).isEqualTo(8);

        for (String p : List.of("w4a4-g128", "w8a8")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions?precision=" + p))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofFile(IMAGE)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = json.readTree(r.body());
            assertThat(body.path("precision").asString()).isEqualTo(p);
            assertThat(body.path("captions").get(0).path("text").asString()).isEqualTo(engineCaption(p));
        }
        try (Stream<Path> s = Files.list(REPOSITORY.resolve("shapes-blip2"))) {
            assertThat(s.map(x -> x.getFileName().toString())).containsExactlyInAnyOrder("fp32", "w8a8", "w4a4-g128");
        }
    }

    private static JsonNode variant(JsonNode models, String precision) {
        for (JsonNode v : models.path("variants")) {
            if (v.path("model").asString().equals("shapes-blip2") && v.path("precision").asString().equals(precision)) {
                return v;
            }
        }
        return null;
    }

    /** What the CLI's eval computes on the first 8 items, captions only. */
    private static Map<String, Double> score(Path dir) {
        EvalDataset first8 = EvalDataset.read(EVAL, 8);
        EvalDataset captionsOnly = new EvalDataset(first8.name(), first8.file(), first8.items().stream()
                .map(i -> new EvalDataset.Item(i.id(), i.image(), i.references(), null, null)).toList());
        try (Blip2Model m = Blip2Model.open(dir, OrtOptions.cpu(), true)) {
            var r = EvalRunner.run(m, captionsOnly, m.defaultParams(24), m.defaultParams(24), done -> {
            }).metrics();
            return Map.of("cider_d", r.ciderD().corpus(), "bleu_4", r.bleu(4), "rouge_l", r.rougeL().corpus());
        }
    }

    /** The engine's greedy caption of the image at the service's default length. */
    private static String engineCaption(String precision) throws Exception {
        try (Blip2Model m = Blip2Model.open(REPOSITORY.resolve("shapes-blip2").resolve(precision), OrtOptions.cpu(), true)) {
            float[] px = m.preprocessor().preprocess(Files.readAllBytes(IMAGE));
            return m.caption(List.of(px), List.of(""), m.defaultParams(20)).images().getFirst().best().text();
        }
    }
}

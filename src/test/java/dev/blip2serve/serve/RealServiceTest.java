package dev.blip2serve.serve;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The real service on a random port with the real engine, shared by its subclasses (one application context: same
 * annotations and property source): a fresh temporary repository where the service builds shapes-blip2 fp32 and
 * fp16 from the bundled checkpoint, next to a model whose only variant has a broken manifest. Queue: max batch 4,
 * 4 queued, one worker, 20 ms to fill a batch. Live sessions: 3 at most, frames up to 256 KB.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.bootstrap-variants=fp32,fp16",
        "blip2.batching.max-batch=4",
        "blip2.batching.max-queued=4",
        "blip2.batching.workers=1",
        "blip2.batching.max-wait=20ms",
        "blip2.batching.retry-after-seconds=1",
        "blip2.live.max-sessions=3",
        "blip2.live.max-frame-bytes=256KB"})
public abstract class RealServiceTest extends LoopbackService {

    static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0000.png");

    /** A model whose generation config sets a beam length penalty other than Hugging Face's 1.0. */
    static final String LENGTH_PENALTY_MODEL = "shapes-length-penalty-0";

    /**
     * One repository for the shared context: a model whose only variant has a broken manifest, and
     * {@link #LENGTH_PENALTY_MODEL}, the bundled checkpoint converted with {@code "length_penalty": 0.0}.
     */
    static final Path REPOSITORY = temporaryFolder("blip2-serve-it-", repo -> {
        Path broken = Files.createDirectories(repo.resolve("broken-model/fp32"));
        Files.writeString(broken.resolve("manifest.json"), "{ not json");
        Path checkpoint = Files.createDirectories(repo.resolveSibling(repo.getFileName() + "-checkpoint"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(checkpoint)));
        try (Stream<Path> files = Files.list(Fixtures.SHAPES)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, checkpoint.resolve(f.getFileName()));
            }
        }
        Path generation = checkpoint.resolve("generation_config.json");
        Files.writeString(generation, Files.readString(generation).replaceFirst("\\{", "{\n  \"length_penalty\": 0.0,"));
        Blip2Converter.convert(Blip2Converter.Request.of(checkpoint, repo, LENGTH_PENALTY_MODEL, FloatVariant.FP32),
                (step, done, total) -> { });
    });

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
    }

    private static volatile boolean ready;

    /** Ready (default variant warmed up) and fp16 loaded too; once per JVM. */
    @BeforeEach
    void waitUntilLoaded() throws Exception {
        if (ready) {
            return;
        }
        awaitService(() -> {
            HttpResponse<String> r = get("/actuator/health/readiness");
            String models = get("/v1/models").body();
            if (r.statusCode() == 200) {
                for (JsonNode v : json.readTree(models).path("variants")) {
                    if (v.path("precision").asString().equals("fp16") && !v.path("state").asString().equals("loading")) {
                        return null;
                    }
                }
            }
            return r.body() + "\nmodels: " + models;
        });
        ready = true;
    }

    static final String BOUNDARY = "blip2-test-boundary";

    static byte[] multipartBody(byte[] png, String... fields) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n"
                    + fields[i + 1] + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"eval.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(png);
        out.write(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    HttpRequest.Builder postPng(String path, byte[] png) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png));
    }
}

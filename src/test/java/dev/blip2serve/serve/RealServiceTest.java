package dev.blip2serve.serve;

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
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real service on a random port with the real engine, shared by its subclasses (one application context: same
 * annotations and property source): a fresh temporary repository where the service builds shapes-blip2 fp32 and
 * fp16 from the bundled checkpoint, next to a model whose only variant has a broken manifest. Queue: max batch 4,
 * 4 queued, one worker, 20 ms to fill a batch.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "blip2.bootstrap-variants=fp32,fp16",
        "blip2.batching.max-batch=4",
        "blip2.batching.max-queued=4",
        "blip2.batching.workers=1",
        "blip2.batching.max-wait=20ms",
        "blip2.batching.retry-after-seconds=1"})
public abstract class RealServiceTest {

    static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0000.png");
    // Generous: converting and loading on a loaded 2-core CI box; a bound on waiting, not a latency check.
    static final Duration READY_WITHIN = Duration.ofMinutes(10);

    /** One repository for the shared context, removed when the JVM exits. */
    static final Path REPOSITORY = createRepository();

    private static Path createRepository() {
        try {
            Path repo = Files.createTempDirectory("blip2-serve-it-");
            Path broken = Files.createDirectories(repo.resolve("broken-model/fp32"));
            Files.writeString(broken.resolve("manifest.json"), "{ not json");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(repo)));
            return repo;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
    }

    @LocalServerPort
    int port;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final JsonMapper json = JsonMapper.builder().build();

    private static volatile boolean ready;

    /** Ready (default variant warmed up) and fp16 loaded too; once per JVM. */
    @BeforeEach
    void waitUntilLoaded() throws Exception {
        if (ready) {
            return;
        }
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (true) {
            HttpResponse<String> r = get("/actuator/health/readiness");
            if (r.statusCode() == 200) {
                JsonNode models = json.readTree(get("/v1/models").body());
                boolean fp16 = false;
                for (JsonNode v : models.path("variants")) {
                    fp16 |= v.path("precision").asString().equals("fp16") && !v.path("state").asString().equals("loading");
                }
                if (fp16) {
                    ready = true;
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not ready: " + r.body() + "\nmodels: " + get("/v1/models").body());
            }
            Thread.sleep(250);
        }
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

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest.Builder postPng(String path, byte[] png) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png));
    }
}

package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The page at {@code /} in a real browser: Debian's headless chromium driven by playwright-core
 * ({@code src/test/browser/caption-page.mjs}) against the real service on a random port (a fresh repository,
 * shapes-blip2 fp32 built at start-up). The script picks a fixture photo, presses Caption with the keyboard, waits
 * for the live region to announce the caption, asks a question, and saves screenshots (to {@code target/screenshots/}, or where {@code blip2.screenshots} says).
 * The caption it reads must be the one {@code POST /v1/captions} gives for the same image. Live mode is driven by
 * {@code src/test/browser/live-page.mjs} with Chromium's fake camera playing a video the test writes
 * ({@link FakeCameraVideo}).
 *
 * <p>Needs {@code /usr/bin/chromium}, {@code node} and {@code npm ci} in {@code src/test/browser} ({@code .ci/run}
 * does both). Without them the test is skipped, unless {@code BLIP2_REQUIRE_BROWSER} is set (CI sets it), in which
 * case it fails.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "blip2.bootstrap-variants=fp32")
class BrowserPageTest {

    private static final Path SCRIPT = Path.of("src/test/browser/caption-page.mjs");
    private static final Path PLAYWRIGHT = Path.of("src/test/browser/node_modules/playwright-core/package.json");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium"));
    private static final Path LIVE_SCRIPT = Path.of("src/test/browser/live-page.mjs");
    private static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0001.png");
    /** The live test's second scene: a black background after eval-0001's white one. */
    private static final Path SECOND_SCENE = Path.of("data/shapes-blip2/eval/images/eval-0005.png");
    /** CI writes under target/ so a test run leaves the tree clean; refresh docs/screenshots with -Dblip2.screenshots=docs/screenshots. */
    private static final Path SCREENSHOTS = Path.of(System.getProperty("blip2.screenshots", "target/screenshots"));
    private static final Duration BOUND = Duration.ofMinutes(10); // waiting bounds, not latency checks

    @TempDir
    static Path repository;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", () -> repository.toString());
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aPersonCaptionsAPhotoOnThePage() throws Exception {
        requireBrowser();
        waitUntilReady();
        String expected = apiCaption();

        JsonNode result = runScript(SCRIPT, IMAGE.toString());
        assertThat(result.path("caption").asString()).isEqualTo(expected);
        // The live region announced it, and the photo's alt text is the caption now.
        assertThat(result.path("status").asString()).isEqualTo("Caption: " + expected);
        assertThat(result.path("alt").asString()).isEqualTo(expected);
        assertThat(result.path("answer").asString()).isNotBlank();
        assertThat(result.path("answer_status").asString()).startsWith("Answer: ");

        List<String> names = new ArrayList<>();
        for (JsonNode shot : result.path("screenshots")) {
            Path file = Path.of(shot.asString());
            names.add(file.getFileName().toString());
            assertThat(isPng(file)).as(file + " is a PNG").isTrue();
        }
        assertThat(names).contains("caption-page-caption.png", "caption-page-phone.png");
    }

    /**
     * Live mode with Chromium's fake camera playing a video the test makes from two fixture photos (3 s of each, then
     * again, as Chromium loops it): started and stopped with the keyboard, the live region announces captions that
     * change with the scene, never the same one twice in a row, and each is handed to speechSynthesis once.
     */
    @Test
    void aPersonHearsLiveCaptionsChangeWithTheScene() throws Exception {
        requireBrowser();
        waitUntilReady();
        Path video = Files.createTempFile("live-camera-", ".y4m");
        try {
            FakeCameraVideo.write(video, List.of(IMAGE, SECOND_SCENE), 30, 256, 10);
            JsonNode result = runScript(LIVE_SCRIPT, video.toString(), "2");
            System.out.println("live page: " + result);
            List<String> captions = new ArrayList<>();
            result.path("captions").forEach(c -> captions.add(c.asString()));
            assertThat(captions.stream().distinct().count()).as(result.toString()).isGreaterThanOrEqualTo(2);
            assertThat(captions).allSatisfy(c -> assertThat(c).isNotBlank().doesNotStartWith("Live captions"));
            // They are of the video's scenes: eval-0001's red circle, then eval-0005's orange triangle.
            assertThat(captions).anyMatch(c -> c.contains("red")).anyMatch(c -> c.contains("orange"));
            for (int i = 1; i < captions.size(); i++) {
                assertThat(captions.get(i)).as("announced twice in a row: " + captions).isNotEqualTo(captions.get(i - 1));
            }
            if (result.path("speech").asBoolean()) {
                List<String> spoken = new ArrayList<>();
                result.path("spoken").forEach(c -> spoken.add(c.asString()));
                assertThat(spoken).isEqualTo(captions);
            }
            assertThat(result.path("stopped").asString()).isEqualTo("Live captions are off.");
            for (JsonNode shot : result.path("screenshots")) {
                assertThat(isPng(Path.of(shot.asString()))).as(shot + " is a PNG").isTrue();
            }
        } finally {
            Files.deleteIfExists(video);
        }
    }

    /** Runs a browser script against the service; its last line of output, as JSON. */
    private JsonNode runScript(Path script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(script.toString(), "http://127.0.0.1:" + port + "/"));
        command.add(args[0]);
        command.add(SCREENSHOTS.toString());
        command.addAll(List.of(args).subList(1, args.length));
        return NodeScripts.run("the browser script", BOUND, command);
    }

    /** Skipped on a machine without the browser tools, unless BLIP2_REQUIRE_BROWSER is set. */
    private static void requireBrowser() {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(CHROMIUM)) {
            missing.add(CHROMIUM + " (apt-get install chromium)");
        }
        if (!NodeScripts.onPath("node")) {
            missing.add("node");
        }
        if (!Files.isRegularFile(PLAYWRIGHT)) {
            missing.add("playwright-core (cd src/test/browser && npm ci)");
        }
        NodeScripts.requireOrSkip("browser test", missing, "BLIP2_REQUIRE_BROWSER");
    }

    private static boolean isPng(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) < 1000) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(8);
            return magic.length == 8 && (magic[0] & 0xff) == 0x89 && magic[1] == 'P' && magic[2] == 'N' && magic[3] == 'G';
        }
    }

    private void waitUntilReady() throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/actuator/health/readiness")).GET());
            if (r.statusCode() == 200) {
                return;
            }
            assertThat(System.nanoTime()).as("not ready: " + r.body()).isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    /** What the API says for the image with the page's defaults (greedy, no prompt). */
    private String apiCaption() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/captions")).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(IMAGE))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body()).path("captions").get(0).path("text").asString();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

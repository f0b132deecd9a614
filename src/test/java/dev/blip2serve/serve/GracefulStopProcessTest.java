package dev.blip2serve.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as its own process, stopped with SIGTERM while captions are running: every admitted request is
 * answered 200, the process exits by itself with 0 (a completed stop), and nothing crashes. (ONNX Runtime releases its native
 * environment in a JVM shutdown hook; without {@link ShutdownSignals} that raced the drain and a running batch
 * crashed the JVM.)
 */
class GracefulStopProcessTest {

    private static final Duration BOUND = Duration.ofMinutes(5); // waiting bounds, not latency checks
    private static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0001.png");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void sigtermFinishesRunningRequestsThenExits() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = dir.resolve("service.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path crashes = Files.createDirectories(dir.resolve("crashes"));
        Process service = new ProcessBuilder(java, "-Xmx2g", "--enable-native-access=ALL-UNNAMED",
                "-XX:ErrorFile=" + crashes.resolve("hs_err_pid%p.log"),
                "-cp", System.getProperty("java.class.path"), "dev.blip2serve.Blip2Serve", "serve",
                "--server.port=" + port, "--server.address=127.0.0.1", "--blip2.repository=" + dir.resolve("repo"),
                "--blip2.bootstrap-variants=fp32", "--blip2.batching.max-batch=8")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            waitFor(() -> get(port, "/actuator/health/readiness") == 200, log);

            // Heavy enough (8 beams, 60 tokens each) to be running when the signal comes.
            byte[] png = Files.readAllBytes(IMAGE);
            List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                requests.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/v1/captions?num_beams=8&max_new_tokens=60&min_new_tokens=60"))
                        .header("Content-Type", "image/png").timeout(BOUND)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            waitFor(() -> admitted(port) > 0, log);
            service.destroy(); // SIGTERM

            for (CompletableFuture<HttpResponse<String>> r : requests) {
                HttpResponse<String> response = r.get(BOUND.toSeconds(), TimeUnit.SECONDS);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            }
            assertThat(service.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).as("the process exits").isTrue();
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(service.exitValue()).as(output).isZero();
            assertThat(output).contains("Graceful shutdown complete").doesNotContain("SIGSEGV")
                    .doesNotContain("A fatal error has been detected");
        } finally {
            service.destroyForcibly();
            service.waitFor(30, TimeUnit.SECONDS);
            try (Stream<Path> reports = Files.list(crashes)) {
                assertThat(reports.toList()).as("JVM crash reports").isEmpty();
            }
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check check, Path log) throws Exception {
        long end = System.nanoTime() + BOUND.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up waiting; service log:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    private int get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Requests queued or running on fp32, from the metrics. */
    private double admitted(int port) throws Exception {
        String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        double running = Scrape.value(scrape, "blip2_inflight", "precision=\"fp32\"");
        double queued = Scrape.value(scrape, "blip2_queue_depth", "precision=\"fp32\"");
        return (Double.isNaN(running) ? 0 : running) + (Double.isNaN(queued) ? 0 : queued);
    }
}

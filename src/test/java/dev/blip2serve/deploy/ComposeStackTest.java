package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.blip2serve.serve.LiveClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The CPU compose stack brought up for real: {@code docker compose -f docker-compose.yml -f docker-compose.cpu.yml up}
 * with the service image built from the Dockerfile and Prometheus, on the shipped prometheus.yml, scraping the service
 * by its compose name through the compose network. Every panel target and query variable of the shipped dashboards
 * must then return data from that Prometheus, for every precision where a query is grouped by precision.
 *
 * <p>Only the images and ports are chosen, by the files' own variables: {@code BLIP2_IMAGE} (the test's build),
 * {@code PROMETHEUS_IMAGE} (the local image of Debian's prometheus where deploy/images/build-base-images.sh made it;
 * no Docker Hub here), {@code BLIP2_PORT} / {@code PROMETHEUS_PORT} as {@code 127.0.0.1:<free port>}, so both are
 * published on loopback only and the test talks to nothing else. A small extra file caps the containers' memory
 * (shared CI machine), turns restarts off (a crash must show), makes the background quantization of the bundled
 * model (w8a8, w4a16, w4a4-g128, scored for the quality panel) calibrate on 16 images and score on 20, and gives the service a GPU to read: there is none
 * here, so src/test/c/fake_nvml.c, built by gcc, is mounted as its NVML library ({@code blip2.gpu.nvml-library},
 * {@code blip2.gpu.memory-metrics=on}; the service's real binding reads it, as DashboardQueriesPrometheusTest's Java
 * fake), and the GPU panels have series too. Grafana is not started (its image cannot be had here;
 * GrafanaSchemaTest and DashboardJsonTest check its files). With Debian's Compose v1, which does not know {@code !reset}, the CPU
 * override is merged by {@link ComposeFilesTest#cpuFiles}. The stack is taken down with its volumes at the end.
 */
class ComposeStackTest {

    /** The bootstrapped floats and the quantized variants the service builds of them in the background. */
    private static final List<String> PRECISIONS = List.of("fp32", "fp16", "w8a8", "w4a16", "w4a4-g128");
    private static final String MODEL = "shapes-blip2";
    private static final Path IMAGE = DeployTools.ROOT.resolve("data/shapes-blip2/eval/images/eval-0000.png");
    // Bounds on waiting (building the variants, scrapes every 5 s), not latency checks.
    private static final Duration READY_WITHIN = Duration.ofMinutes(10);
    private static final Duration DATA_WITHIN = Duration.ofMinutes(3);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path tmp;

    @Test
    void theStackServesAndEveryDashboardQueryHasDataInItsPrometheus() throws Exception {
        DockerEngine.require();
        List<String> compose = ComposeFilesTest.requireCompose();
        String image = DockerEngine.serviceImage();
        int servicePort = freePort();
        int prometheusPort = freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BLIP2_IMAGE", image);
        env.put("BLIP2_PORT", "127.0.0.1:" + servicePort);
        env.put("PROMETHEUS_PORT", "127.0.0.1:" + prometheusPort);
        if (DockerEngine.hasImage(DockerEngine.LOCAL_PROMETHEUS)) {
            env.put("PROMETHEUS_IMAGE", DockerEngine.LOCAL_PROMETHEUS);
        }
        Path limits = tmp.resolve("test-overrides.yml");
        Files.writeString(limits, """
                services:
                  blip2-serve:
                    mem_limit: %d
                    restart: "no"
                    environment:
                      BLIP2_AUTOQUANTIZE_CALIBRATIONLIMIT: "16"
                      BLIP2_AUTOQUANTIZE_EVALLIMIT: "20"
                      BLIP2_GPU_MEMORYMETRICS: "on"
                      BLIP2_GPU_NVMLLIBRARY: /opt/fake-nvml/libnvidia-ml.so.1
                    volumes:
                      - %s:/opt/fake-nvml:ro
                  prometheus:
                    mem_limit: 536870912
                    restart: "no"
                """.formatted(DockerEngine.MEMORY_LIMIT, fakeNvml()));
        List<String> base = new ArrayList<>(compose);
        base.addAll(List.of("-p", "blip2test" + UUID.randomUUID().toString().substring(0, 8),
                "--project-directory", DeployTools.ROOT.toString()));
        for (Path f : ComposeFilesTest.cpuFiles(compose, tmp)) {
            base.addAll(List.of("-f", f.toString()));
        }
        base.addAll(List.of("-f", limits.toString()));

        try {
            composeOk(base, env, Duration.ofMinutes(5), "up", "-d", "--no-build", "blip2-serve", "prometheus");
            URI service = URI.create("http://127.0.0.1:" + servicePort);
            PrometheusApi prom = new PrometheusApi(http, URI.create("http://127.0.0.1:" + prometheusPort), PRECISIONS);
            List<Dashboards.Query> queries = Dashboards.queries();
            assertThat(queries).hasSizeGreaterThan(10);

            poll(READY_WITHIN, "the service is ready with " + PRECISIONS, () -> readyPrecisions(service)
                    .containsAll(PRECISIONS) ? "" : "ready: " + readyPrecisions(service), base, env);
            poll(Duration.ofMinutes(1), "Prometheus scrapes blip2-serve:8080 through the compose network", () -> {
                JsonNode up = prom.query("up{job=\"blip2-serve\"}");
                return !up.isEmpty() && up.get(0).path("value").get(1).asString().equals("1") ? "" : "up: " + up;
            }, base, env);

            byte[] png = Files.readAllBytes(IMAGE);
            traffic(service, png);
            poll(Duration.ofMinutes(1), "Prometheus has scraped the first requests", () -> {
                JsonNode errors = prom.query("blip2_caption_latency_seconds_count{outcome=\"client_error\"}");
                return PrometheusApi.precisionsOf(errors).containsAll(PRECISIONS) ? "" : "not yet: " + errors;
            }, base, env);
            traffic(service, png); // increases for the rates and quantiles

            Map<String, String> variables = Map.of("model", MODEL,
                    "precision", "(" + String.join("|", PRECISIONS) + ")", "datasource", "prometheus");
            Map<Dashboards.Query, String> missing = new LinkedHashMap<>();
            queries.forEach(q -> missing.put(q, "not evaluated"));
            poll(DATA_WITHIN, "every dashboard query returns data", () -> prom.pollMissing(missing, variables),
                    base, env);
        } finally {
            DeployTools.Result down = compose(base, env, Duration.ofMinutes(3), "down", "-v", "--remove-orphans",
                    "--timeout", "90");
            assertThat(down.exitCode()).as("compose down: " + down.all()).isZero();
        }
    }

    /** src/test/c/fake_nvml.c built as libnvidia-ml.so.1 into a folder of its own, readable by the service's user. */
    private Path fakeNvml() throws IOException {
        Path gcc = DeployTools.require(DeployTools.onPath("gcc"), "gcc (Debian packages gcc, libc6-dev)");
        Path dir = Files.createDirectories(tmp.resolve("fake-nvml"));
        Path library = dir.resolve("libnvidia-ml.so.1");
        DeployTools.Result r = DeployTools.run(List.of(gcc.toString(), "-shared", "-fPIC", "-O2", "-o",
                library.toString(), DeployTools.ROOT.resolve("src/test/c/fake_nvml.c").toString()),
                Duration.ofMinutes(2), null);
        assertThat(r.exitCode()).as("gcc: " + r.all()).isZero();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(library, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Per precision: three captions, one undecodable image (422, outcome client_error) and a live session. */
    private void traffic(URI service, byte[] png) throws IOException, InterruptedException {
        for (String precision : PRECISIONS) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = post(service, "/v1/captions?precision=" + precision + "&max_new_tokens=12", png);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            HttpResponse<String> bad = post(service, "/v1/captions?precision=" + precision,
                    "not an image".getBytes(StandardCharsets.UTF_8));
            assertThat(bad.statusCode()).as(bad.body()).isEqualTo(422);
            LiveClient.captionThenSkip(http, URI.create("ws://" + service.getHost() + ":" + service.getPort()
                    + "/v1/live?precision=" + precision), png);
        }
    }

    private HttpResponse<String> post(URI service, String path, byte[] body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(service.resolve(path)).header("Content-Type", "image/png")
                .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Set<String> readyPrecisions(URI service) throws IOException, InterruptedException {
        Set<String> ready = new TreeSet<>();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(service.resolve("/v1/models"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
            for (JsonNode v : Dashboards.JSON.readTree(r.body()).path("variants")) {
                if (v.path("state").asString().equals("ready")) {
                    ready.add(v.path("precision").asString());
                }
            }
        }
        return ready;
    }

    private static DeployTools.Result compose(List<String> base, Map<String, String> env, Duration within,
                                              String... args) {
        List<String> c = new ArrayList<>(base);
        c.addAll(List.of(args));
        return DeployTools.run(c, within, null, env);
    }

    private static void composeOk(List<String> base, Map<String, String> env, Duration within, String... args) {
        DeployTools.Result r = compose(base, env, within, args);
        if (r.exitCode() != 0) {
            fail("compose " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.all());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    interface Probe {
        /** "" when done, else why not yet. */
        String check() throws Exception;
    }

    /** Polls until done; on giving up, fails with the last answer and the stack's logs. */
    private static void poll(Duration within, String what, Probe probe, List<String> base, Map<String, String> env)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String last;
        while (true) {
            try {
                last = probe.check();
            } catch (IOException e) {
                last = e.toString(); // not answering yet
            }
            if (last.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String logs = compose(base, env, Duration.ofMinutes(1), "logs", "--no-color", "--tail", "40").all();
                fail("not within " + within + ": " + what + "\n" + last + "\ncompose logs:\n" + logs);
            }
            Thread.sleep(1000);
        }
    }
}

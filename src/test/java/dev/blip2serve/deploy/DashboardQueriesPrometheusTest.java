package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.gpu.FakeNvml;
import dev.blip2serve.gpu.Nvml;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.serve.LiveClient;
import dev.blip2serve.serve.LoopbackService;
import dev.blip2serve.serve.ServeApplication;
import dev.blip2serve.serve.model.EmbeddedCheckpoint;
import dev.blip2serve.serve.model.NvmlSource;
import dev.blip2serve.bench.ProcessMemory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Every PromQL expression of the shipped Grafana dashboards returns data from a real Prometheus scraping the real
 * service: Debian's {@code prometheus} on loopback (a free port, a temporary config scraping the service every second,
 * a temporary TSDB) against the service on a random port with a fresh repository. The repository is built before
 * the service starts: shapes-blip2 fp32 and fp16 converted from the bundled checkpoint (what the service's start-up
 * bootstrap would build), each manifest then given a {@code quality} entry (as eval writes it), so that the quality
 * panel ({@code blip2_variant_quality}) has data for both precisions too. Captions at both precisions (and one undecodable image each, for the error panels, and one live session each, for the live row) are sent in two rounds,
 * the second once Prometheus has the first's series, so rates and quantiles have increases to work on. Then each panel
 * target and query variable is evaluated through {@code /api/v1/query} with Grafana's variables replaced
 * ({@code $__rate_interval} = 1m, {@code $model}, {@code $precision} = both precisions) until each returns a finite
 * value, and per precision for the ones grouped by precision. Waits are bounded polls; nothing here times the
 * service.
 *
 * <p>GPU panels: there is no GPU here, so the service reads GPU memory through the real NVML binding from
 * {@link FakeNvml} (an NVML written in Java behind FFM upcall stubs, the same C ABI as {@code libnvidia-ml.so.1}),
 * handed to it as an {@link NvmlSource} bean, with {@code blip2.gpu.memory-metrics=on} since CUDA is off. The fake
 * reports this process's "GPU memory" as its RSS, so it grows while each variant loads and the per-variant GPU panel
 * has a value per precision. The GPU series reach Prometheus from the service's own gauges, like every other.
 */
@SpringBootTest(classes = ServeApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "blip2.bootstrap-variants=fp32,fp16",
                "blip2.batching.max-batch=4",
                "blip2.batching.max-wait=20ms",
                "blip2.gpu.memory-metrics=on"})
@Import(DashboardQueriesPrometheusTest.FakeGpu.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class DashboardQueriesPrometheusTest extends LoopbackService {

    /** The GPU the service reads: 80 GiB, this process's memory = its RSS, plus another process's 1 GiB. */
    static final FakeNvml GPU = fakeGpu();

    private static FakeNvml fakeGpu() {
        FakeNvml fake = new FakeNvml();
        fake.total = 80L << 30;
        fake.processes = () -> List.of(
                new FakeNvml.Proc(ProcessHandle.current().pid(), ProcessMemory::residentBytes, -1, -1),
                FakeNvml.Proc.of(1, 1L << 30));
        // Never closed: the service may call it until its context closes, after this class's @AfterAll.
        return fake;
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class FakeGpu {
        @Bean
        NvmlSource fakeNvml() {
            return () -> Nvml.open(GPU.lookup());
        }
    }

    private static final Path IMAGE = Path.of("data/shapes-blip2/eval/images/eval-0000.png");
    private static final List<String> PRECISIONS = List.of("fp32", "fp16");
    private static final String MODEL = "shapes-blip2";
    // Bounds on waiting (converting and loading on a busy 2-core CI machine), not latency checks.
    private static final Duration SCRAPED_WITHIN = Duration.ofMinutes(2);
    private static final Duration DATA_WITHIN = Duration.ofMinutes(2);

    /** What eval would have written into each variant's manifest: dataset -> metric -> value. */
    static final Map<String, Map<String, Map<String, Double>>> QUALITY = Map.of(
            "fp32", Map.of("shapes-blip2/eval", Map.of("cider_d", 2.77, "spice", 0.23)),
            "fp16", Map.of("shapes-blip2/eval", Map.of("cider_d", 2.76, "spice", 0.23)));

    private static final Path REPOSITORY = repositoryWithQuality();
    private static Process prometheus;
    private static Path prometheusDir;

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("blip2.repository", REPOSITORY::toString);
    }


    @Test
    void everyDashboardQueryReturnsDataFromTheRunningService() throws Exception {
        Path binary = DeployTools.require(DeployTools.onPath("prometheus"), "prometheus (Debian package prometheus)");
        List<Dashboards.Query> queries = Dashboards.queries();
        assertThat(queries).hasSizeGreaterThan(10);
        assertThat(queries).as("the quality panel").anyMatch(q -> q.expr().contains("blip2_variant_quality"));
        assertThat(queries).as("the GPU panels").anyMatch(q -> q.expr().contains("blip2_gpu_memory_used_bytes"))
                .anyMatch(q -> q.expr().contains("blip2_variant_load_gpu_delta_bytes"));

        waitUntilBothPrecisionsAreReady();
        PrometheusApi prom = new PrometheusApi(http, startPrometheus(binary), PRECISIONS);

        byte[] png = Files.readAllBytes(IMAGE);
        traffic(png);
        // The series exist in Prometheus before the second round, so that round shows up as increases.
        poll(SCRAPED_WITHIN, "Prometheus has scraped the first requests", () -> {
            JsonNode tokens = prom.query("blip2_generated_tokens_total{model=\"" + MODEL + "\"}");
            JsonNode errors = prom.query("blip2_caption_latency_seconds_count{outcome=\"client_error\"}");
            return PrometheusApi.precisionsOf(tokens).containsAll(PRECISIONS) && PrometheusApi.precisionsOf(errors).containsAll(PRECISIONS) ? "" : "not yet";
        });
        traffic(png);

        Map<String, String> variables = Map.of("model", MODEL, "precision", "(" + String.join("|", PRECISIONS) + ")",
                "datasource", "prometheus");
        Map<Dashboards.Query, String> missing = new LinkedHashMap<>();
        queries.forEach(q -> missing.put(q, "not evaluated"));
        poll(DATA_WITHIN, "every dashboard query returns data", () -> prom.pollMissing(missing, variables));

        // The quality gauges carry the manifests' numbers, one series per precision, dataset and metric.
        Map<String, Double> quality = new java.util.TreeMap<>();
        prom.query("blip2_variant_quality{model=\"" + MODEL + "\"}").forEach(s -> quality.put(
                s.path("metric").path("precision").asString() + " " + s.path("metric").path("dataset").asString() + " "
                        + s.path("metric").path("metric").asString(),
                Double.parseDouble(s.path("value").get(1).asString())));
        Map<String, Double> expected = new java.util.TreeMap<>();
        QUALITY.forEach((precision, sets) -> sets.forEach((dataset, metrics) -> metrics.forEach((metric, value) ->
                expected.put(precision + " " + dataset + " " + metric, value))));
        assertThat(quality).isEqualTo(expected);

        // The GPU series are the fake NVML's numbers, read by the service through the binding.
        assertThat(GPU.initCalls.get()).as("the service initialised NVML").isPositive();
        JsonNode total = prom.query("blip2_gpu_memory_total_bytes");
        assertThat(total).hasSize(1);
        assertThat(Double.parseDouble(total.get(0).path("value").get(1).asString())).isEqualTo((double) GPU.total);
        assertThat(PrometheusApi.precisionsOf(prom.query("blip2_variant_load_gpu_delta_bytes{model=\"" + MODEL + "\"}")))
                .containsAll(PRECISIONS);
    }

    /** Per precision: three captions and one undecodable image (422, outcome client_error). */
    private void traffic(byte[] png) throws IOException, InterruptedException {
        for (String precision : PRECISIONS) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = post("/v1/captions?precision=" + precision + "&max_new_tokens=12", png);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            HttpResponse<String> bad = post("/v1/captions?precision=" + precision,
                    "not an image".getBytes(StandardCharsets.UTF_8));
            assertThat(bad.statusCode()).as(bad.body()).isEqualTo(422);
            LiveClient.captionThenSkip(http, URI.create("ws://127.0.0.1:" + port + "/v1/live?precision=" + precision), png);
        }
    }

    private HttpResponse<String> post(String path, byte[] body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private void waitUntilBothPrecisionsAreReady() throws Exception {
        poll(READY_WITHIN, "the service is ready with fp32 and fp16", () -> {
            HttpResponse<String> ready = get("/actuator/health/readiness");
            String models = get("/v1/models").body();
            Set<String> readyPrecisions = new TreeSet<>();
            for (JsonNode v : Dashboards.JSON.readTree(models).path("variants")) {
                if (v.path("state").asString().equals("ready")) {
                    readyPrecisions.add(v.path("precision").asString());
                }
            }
            return ready.statusCode() == 200 && readyPrecisions.containsAll(PRECISIONS) ? "" : "models: " + models;
        });
    }

    /**
     * A fresh repository with shapes-blip2 fp32 and fp16 converted from the bundled checkpoint and {@link #QUALITY}
     * in their manifests. The manifest's file hashes do not cover manifest.json, so verification still passes; the
     * service finds variants and skips its own bootstrap.
     */
    private static Path repositoryWithQuality() {
        Path repository = temporaryFolder("blip2-deploy-prom-repo-");
        Path checkpoint = temporaryFolder("blip2-deploy-prom-ckpt-");
        try {
            EmbeddedCheckpoint.copyTo(checkpoint, DashboardQueriesPrometheusTest.class.getClassLoader());
            for (String name : PRECISIONS) {
                Path dir = repository.resolve(MODEL).resolve(name);
                WeightPrecision precision = WeightPrecision.valueOf(name.toUpperCase(java.util.Locale.ROOT));
                Manifest m = Blip2Converter.convert(new Blip2Converter.Request(checkpoint, dir, MODEL, name, precision,
                        Blip2Converter.INLINE_LIMIT), ProgressListener.NONE);
                ManifestIo.write(dir, new Manifest(m.schema(), m.model(), m.precision(), m.preset(), m.source(),
                        m.method(), m.calibration(), m.components(), m.files(), m.createdAt(), m.toolVersion(),
                        QUALITY.get(name), m.latency()));
                assertThat(ManifestIo.verify(dir, ManifestIo.read(dir))).as(name + " verifies").isEmpty();
            }
        } catch (IOException e) {
            throw new IllegalStateException("building the test repository failed", e);
        } finally {
            deleteTree(checkpoint);
        }
        return repository;
    }

    // ------------------------------------------------------------------ Prometheus

    private URI startPrometheus(Path binary) throws Exception {
        prometheusDir = temporaryFolder("blip2-deploy-prometheus-");
        int promPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            promPort = s.getLocalPort();
        }
        Path config = prometheusDir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: blip2-serve
                    metrics_path: /actuator/prometheus
                    scrape_interval: 1s
                    scrape_timeout: 1s
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(port));
        Path log = prometheusDir.resolve("prometheus.log");
        prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + prometheusDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + promPort, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        URI prom = URI.create("http://127.0.0.1:" + promPort);
        poll(Duration.ofMinutes(1), "Prometheus is ready", () -> {
            if (!prometheus.isAlive()) {
                fail("prometheus exited " + prometheus.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                int status = http.send(HttpRequest.newBuilder(prom.resolve("/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                return status == 200 ? "" : "status " + status;
            } catch (IOException e) {
                return e.toString();
            }
        });
        // The service's target is up (a scrape succeeded) before any traffic.
        poll(Duration.ofMinutes(1), "Prometheus scrapes the service", () -> {
            JsonNode up = new PrometheusApi(http, prom, PRECISIONS).query("up{job=\"blip2-serve\"}");
            return !up.isEmpty() && up.get(0).path("value").get(1).asString().equals("1") ? "" : "up: " + up;
        });
        return prom;
    }

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (prometheusDir != null) {
            deleteTree(prometheusDir);
        }
    }

    // ------------------------------------------------------------------ helpers

    interface Probe {
        /** "" when done, else why not yet. */
        String check() throws Exception;
    }

    private static void poll(Duration within, String what, Probe probe) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String last;
        while (true) {
            last = probe.check();
            if (last.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("not within " + within + ": " + what + "\n" + last + prometheusLogTail());
            }
            Thread.sleep(500);
        }
    }

    private static String prometheusLogTail() {
        try {
            if (prometheusDir != null && Files.exists(prometheusDir.resolve("prometheus.log"))) {
                List<String> lines = Files.readAllLines(prometheusDir.resolve("prometheus.log"));
                return "\nprometheus log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            }
        } catch (IOException e) {
            // only a diagnostic
        }
        return "";
    }
}

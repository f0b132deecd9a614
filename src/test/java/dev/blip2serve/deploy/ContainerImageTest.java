package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import dev.blip2serve.cli.Cli;
import dev.blip2serve.serve.Scrape;
import dev.blip2serve.serve.model.EmbeddedCheckpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.ToStringConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import tools.jackson.databind.JsonNode;

/**
 * The CPU image built from the Dockerfile ({@link DockerEngine#serviceImage()}) and run by Testcontainers as production
 * runs it: its own non-root user, a read-only root filesystem, an exec tmpfs at /tmp, every capability dropped,
 * {@code no-new-privileges}, a memory limit, and an empty named volume at /models. It builds the embedded model into
 * the volume, becomes ready, captions through the port published on 127.0.0.1 exactly as the jar's code does in this
 * JVM for the same image and precision, turns healthy by its HEALTHCHECK, and {@code docker stop} lets the requests
 * in flight finish and exits 0 well within the grace period. Then the volume gets a corrupt fp16 variant: a new
 * container reports it failed (why, in /v1/models) and serves fp32.
 *
 * <p>Traffic goes only to 127.0.0.1 (the published port), never to a container's address. Testcontainers runs
 * without Ryuk (pom.xml sets {@code TESTCONTAINERS_RYUK_DISABLED}: its image would come from Docker Hub); the test
 * removes its containers and volume itself. Waits are bounded polls, no latency is asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerImageTest {

    private static final Path IMAGE = DeployTools.ROOT.resolve("data/shapes-blip2/eval/images/eval-0000.png");
    private static final Path HEIF = DeployTools.ROOT.resolve("src/test/resources/images/heif");
    private static final int PORT = 8080;
    private static final Duration READY_WITHIN = Duration.ofMinutes(10); // build of the variants on a busy machine
    private static final Duration BOUND = Duration.ofMinutes(3);
    /** The compose file's and the chart's grace period; the drain must end well inside it. */
    private static final int GRACE_SECONDS = 90;
    private static final int NEW_TOKENS = 24;

    private static String image;
    private static String volume;
    private static final List<GenericContainer<?>> STARTED = new ArrayList<>();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void buildImage() {
        DockerEngine.require();
        image = DockerEngine.serviceImage();
        volume = "blip2-test-models-" + UUID.randomUUID().toString().substring(0, 8);
        DockerEngine.dockerOk(Duration.ofMinutes(1), "volume", "create", volume);
    }

    @AfterAll
    static void removeEverything() {
        for (GenericContainer<?> c : STARTED) {
            c.stop();
        }
        if (volume != null) {
            DockerEngine.docker(Duration.ofMinutes(1), "volume", "rm", "-f", volume);
        }
    }

    /** The service as production runs it, on the test's volume, with its port on 127.0.0.1 only. */
    @SuppressWarnings("resource")
    private static GenericContainer<?> hardened(ToStringConsumer logs) {
        GenericContainer<?> c = new GenericContainer<>(image)
                .withExposedPorts(PORT)
                .withTmpFs(Map.of("/tmp", "rw,exec,nosuid,nodev,size=1g"))
                .withEnv("BLIP2_BATCHING_MAX_BATCH", "4")
                // The background quantization of the bundled model runs too, on small sets (ComposeStackTest
                // waits for its variants).
                .withEnv("BLIP2_AUTOQUANTIZE_CALIBRATIONLIMIT", "8")
                .withEnv("BLIP2_AUTOQUANTIZE_EVALLIMIT", "10")
                .withLogConsumer(logs)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withReadonlyRootfs(true)
                        .withCapDrop(Capability.ALL)
                        .withSecurityOpts(List.of("no-new-privileges:true"))
                        .withMemory(DockerEngine.MEMORY_LIMIT)
                        .withMemorySwap(DockerEngine.MEMORY_LIMIT)
                        .withBinds(new Bind(volume, new Volume("/models")))
                        .withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(PORT))))
                .waitingFor(Wait.forHttp("/actuator/health/readiness").forPort(PORT).forStatusCode(200)
                        .withStartupTimeout(READY_WITHIN));
        STARTED.add(c);
        return c;
    }

    @Test
    @Order(1)
    void runsHardenedBuildsTheModelCaptionsLikeTheJarAndStopsGracefully(@TempDir Path tmp) throws Exception {
        assertThat(volumeFiles()).as("the volume starts empty").isEmpty();
        ToStringConsumer logs = new ToStringConsumer();
        GenericContainer<?> service = hardened(logs);
        service.start();
        DockerClient docker = service.getDockerClient();
        InspectContainerResponse inspect = docker.inspectContainerCmd(service.getContainerId()).exec();

        // The contract of docs/DEPLOYMENT.md, as the engine and the process see it.
        assertThat(inspect.getConfig().getUser()).isEqualTo("10001:10001");
        assertThat(inspect.getHostConfig().getReadonlyRootfs()).isTrue();
        assertThat(exec(service, "id", "-u")).isEqualTo("10001");
        assertThat(exec(service, "bash", "-c", "grep '^CapEff' /proc/1/status")).endsWith("0000000000000000");
        assertThat(service.execInContainer("touch", "/app/x").getExitCode()).as("read-only root").isNotZero();
        assertThat(exec(service, "bash", "-c", "ls /tmp")).as("ONNX Runtime and DJL extract to /tmp").isNotEmpty();
        assertThat(inspect.getNetworkSettings().getPorts().getBindings().get(ExposedPort.tcp(PORT)))
                .as("published on loopback only").isNotEmpty().allSatisfy(b -> assertThat(b.getHostIp()).isEqualTo("127.0.0.1"));
        assertThat(logs.toUtf8String()).contains("has no shapes-blip2 variants: building");
        assertThat(volumeFiles()).contains("shapes-blip2/fp32/manifest.json", "shapes-blip2/fp16/manifest.json");

        // Same captions as the jar's code in this JVM, for the same image and precision.
        Map<String, String> expected = captionsInProcess(tmp);
        byte[] png = Files.readAllBytes(IMAGE);
        for (String precision : List.of("fp32", "fp16")) {
            JsonNode body = captionWhenReady(service, precision, png);
            assertThat(body.path("precision").asString()).isEqualTo(precision);
            assertThat(body.path("captions").get(0).path("text").asString()).as(precision)
                    .isEqualTo(expected.get(precision));
        }

        // The native decoders are in the image (prepare-runtime.sh): TurboJPEG, libwebp, libheif with its codecs; the
        // JRE has the Vector API and the ENTRYPOINT resolves it (the SIMD resize).
        assertThat(logs.toUtf8String()).contains("image decoders: JPEG libturbojpeg").contains("WebP libwebp")
                .contains("HEIC/AVIF libheif").contains("resize SIMD");
        for (String name : List.of("photo.heic", "photo.avif")) {
            byte[] photo = Files.readAllBytes(HEIF.resolve(name));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(service, "/v1/captions?precision=fp32"))
                    .header("Content-Type", name.endsWith(".heic") ? "image/heic" : "image/avif").timeout(BOUND)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(photo)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(name + ": " + r.body()).isEqualTo(200);
        }

        await(BOUND, "the HEALTHCHECK reports healthy", () -> {
            String status = docker.inspectContainerCmd(service.getContainerId()).exec().getState().getHealth()
                    .getStatus();
            return status.equals("healthy") ? "" : "health: " + status;
        });

        // docker stop while heavy requests run: every one is answered, then the JVM exits 0.
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(http.sendAsync(HttpRequest.newBuilder(uri(service,
                            "/v1/captions?num_beams=8&max_new_tokens=60&min_new_tokens=60"))
                    .header("Content-Type", "image/png").timeout(BOUND)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        await(BOUND, "the requests are admitted", () -> admitted(service) > 0 ? "" : "none admitted yet");
        long stopStart = System.nanoTime();
        docker.stopContainerCmd(service.getContainerId()).withTimeout(GRACE_SECONDS).exec();
        long stopSeconds = (System.nanoTime() - stopStart) / 1_000_000_000L;
        for (CompletableFuture<HttpResponse<String>> r : requests) {
            HttpResponse<String> response = r.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(service.getContainerId()).exec()
                .getState();
        assertThat(state.getRunning()).isFalse();
        assertThat(state.getExitCodeLong()).as(logs.toUtf8String()).isZero();
        // Exit 0 comes from the service's own drain; a SIGKILL at the end of the grace period would be 137.
        assertThat(state.getOOMKilled()).isFalse();
        assertThat(logs.toUtf8String()).contains("SIGTERM: finishing admitted requests").contains("Graceful shutdown complete");
        System.out.printf("docker stop with 6 requests in flight: %d s%n", stopSeconds);
    }

    @Test
    @Order(2)
    void aCorruptVariantInTheVolumeIsReportedAndTheOthersServed() throws Exception {
        assertThat(volumeFiles()).as("the first test built the variants").contains("shapes-blip2/fp16/vision.onnx");
        // One byte changed in fp16's vision graph: its manifest's SHA-256 no longer matches.
        DockerEngine.dockerOk(BOUND, "run", "--rm", "--network", "none", "--memory", "256m", "-u", "10001:10001",
                "-v", volume + ":/models", "--entrypoint", "bash", image, "-c",
                "printf 'X' | dd of=/models/shapes-blip2/fp16/vision.onnx bs=1 seek=4096 conv=notrunc status=none");

        ToStringConsumer logs = new ToStringConsumer();
        GenericContainer<?> service = hardened(logs);
        service.start();
        JsonNode fp16 = poll(BOUND, "fp16 is reported failed", () -> {
            for (JsonNode v : Dashboards.JSON.readTree(get(service, "/v1/models").body()).path("variants")) {
                if (v.path("precision").asString().equals("fp16") && v.path("state").asString().equals("failed")) {
                    return v;
                }
            }
            return null;
        });
        assertThat(fp16.path("reason").asString()).contains("vision.onnx");
        assertThat(logs.toUtf8String()).doesNotContain("has no shapes-blip2 variants: building");

        byte[] png = Files.readAllBytes(IMAGE);
        assertThat(caption(service, "fp32", png).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = caption(service, "fp16", png);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("variant-unavailable");
        service.stop();
    }

    // ------------------------------------------------------------------ helpers

    /** fp32 and fp16 captions of {@link #IMAGE} by the CLI's code in this JVM, from the same bundled checkpoint. */
    private static Map<String, String> captionsInProcess(Path tmp) throws IOException {
        Path checkpoint = Files.createDirectories(tmp.resolve("checkpoint"));
        EmbeddedCheckpoint.copyTo(checkpoint, ContainerImageTest.class.getClassLoader());
        Path repo = tmp.resolve("repo");
        cli("convert", "--checkpoint", checkpoint.toString(), "--repo", repo.toString(), "--name", EmbeddedCheckpoint.MODEL,
                "--precision", "fp32,fp16");
        Map<String, String> captions = new java.util.HashMap<>();
        for (String precision : List.of("fp32", "fp16")) {
            String json = cli("caption", "--model", repo.resolve(EmbeddedCheckpoint.MODEL).resolve(precision).toString(),
                    "--max-new-tokens", String.valueOf(NEW_TOKENS), "--json", IMAGE.toString());
            captions.put(precision, Dashboards.JSON.readTree(json).path("caption").asString());
        }
        return captions;
    }

    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        if (code != 0) {
            fail("blip2-serve " + String.join(" ", args) + " exited " + code + ": " + err);
        }
        return out.toString();
    }

    private JsonNode captionWhenReady(GenericContainer<?> service, String precision, byte[] png) throws Exception {
        // fp16 loads after the default fp32: 503 with Retry-After until then.
        return poll(BOUND, precision + " captions", () -> {
            HttpResponse<String> r = caption(service, precision, png);
            if (r.statusCode() == 503) {
                return null;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return Dashboards.JSON.readTree(r.body());
        });
    }

    private HttpResponse<String> caption(GenericContainer<?> service, String precision, byte[] png) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(service, "/v1/captions?precision=" + precision + "&max_new_tokens="
                        + NEW_TOKENS)).header("Content-Type", "image/png").timeout(BOUND)
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(GenericContainer<?> service, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(service, path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Requests queued or running on the default variant, from the service's metrics. */
    private double admitted(GenericContainer<?> service) throws Exception {
        String scrape = get(service, "/actuator/prometheus").body();
        double running = Scrape.value(scrape, "blip2_inflight", "precision=\"fp32\"");
        double queued = Scrape.value(scrape, "blip2_queue_depth", "precision=\"fp32\"");
        return (Double.isNaN(running) ? 0 : running) + (Double.isNaN(queued) ? 0 : queued);
    }

    /** The published port, on the loopback address (Testcontainers' host is localhost for a local engine). */
    private static URI uri(GenericContainer<?> service, String path) {
        return URI.create("http://127.0.0.1:" + service.getMappedPort(PORT) + path);
    }

    private static String exec(GenericContainer<?> c, String... command) throws Exception {
        org.testcontainers.containers.Container.ExecResult r = c.execInContainer(command);
        assertThat(r.getExitCode()).as(String.join(" ", command) + ": " + r.getStderr()).isZero();
        return r.getStdout().strip();
    }

    /** The files of the test's volume, relative to /models, read by a throwaway container without network. */
    private static List<String> volumeFiles() {
        String out = DockerEngine.dockerOk(BOUND, "run", "--rm", "--network", "none", "--memory", "256m",
                "-v", volume + ":/models:ro", "--entrypoint", "bash", image, "-c", "cd /models && find . -type f");
        return out.lines().map(l -> l.replaceFirst("^\\./", "")).filter(l -> !l.isBlank()).toList();
    }

    interface Probe<T> {
        /** The result when done, else null. */
        T check() throws Exception;
    }

    private static <T> T poll(Duration within, String what, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            T result;
            try {
                result = probe.check();
            } catch (IOException e) {
                result = null; // not answering yet
            }
            if (result != null) {
                return result;
            }
            if (System.nanoTime() > deadline) {
                fail("not within " + within + ": " + what);
            }
            Thread.sleep(500);
        }
    }

    private static void await(Duration within, String what, StringProbe probe) throws Exception {
        String[] last = {""};
        try {
            poll(within, what, () -> {
                last[0] = probe.check();
                return last[0].isEmpty() ? Boolean.TRUE : null;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + last[0], e);
        }
    }

    interface StringProbe {
        /** "" when done, else why not yet. */
        String check() throws Exception;
    }
}

package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import tools.jackson.databind.JsonNode;

/**
 * The CPU image built from the Dockerfile ({@code --target cpu}) and run as production runs it: read-only root
 * filesystem, an exec tmpfs at /tmp, the default non-root user, an empty model repository volume (the service builds
 * the demo variants into it). It becomes ready, captions a fixture image through HTTP at both precisions, exports its
 * metrics, and stops on SIGTERM with the JVM's 128 + 15.
 *
 * <p>Skipped, not failed, where no Docker engine is reachable ({@code disabledWithoutDocker}): our development and CI
 * machines have none. Needs {@code org.testcontainers:testcontainers} and
 * {@code org.testcontainers:testcontainers-junit-jupiter} (test scope, versions from Spring Boot's BOM).
 *
 * <p>Until those are in pom.xml this file lives in deploy/testcontainers/ (not compiled); move it to
 * src/test/java/dev/blip2serve/deploy/ with them.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();

    @Container
    @SuppressWarnings("resource")
    static final GenericContainer<?> SERVICE = new GenericContainer<>(
            new ImageFromDockerfile("blip2-serve-test:cpu", false)
                    .withDockerfile(ROOT.resolve("Dockerfile"))
                    .withTarget("cpu"))
            .withExposedPorts(8080)
            .withTmpFs(Map.of("/tmp", "rw,exec,nosuid,nodev,size=1g"))
            .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true))
            .waitingFor(Wait.forHttp("/actuator/health/readiness").forStatusCode(200)
                    .withStartupTimeout(Duration.ofMinutes(10)));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private URI uri(String path) {
        return URI.create("http://" + SERVICE.getHost() + ":" + SERVICE.getMappedPort(8080) + path);
    }

    @Test
    void theImageCaptionsThroughHttpAndStopsGracefully() throws Exception {
        assertThat(SERVICE.execInContainer("id", "-u").getStdout().strip()).isEqualTo("10001");

        byte[] png = Files.readAllBytes(ROOT.resolve("data/shapes-blip2/eval/images/eval-0000.png"));
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        for (String precision : new String[] {"fp32", "fp16"}) {
            HttpResponse<String> r;
            do {
                // fp16 loads after the default fp32: 503 with Retry-After until then.
                r = http.send(HttpRequest.newBuilder(uri("/v1/captions?precision=" + precision))
                        .header("Content-Type", "image/png").timeout(Duration.ofMinutes(2))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 503 && System.nanoTime() < deadline) {
                    Thread.sleep(1000);
                }
            } while (r.statusCode() == 503 && System.nanoTime() < deadline);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = Dashboards.JSON.readTree(r.body());
            assertThat(body.path("precision").asString()).isEqualTo(precision);
            assertThat(body.path("captions").get(0).path("text").asString()).isNotBlank();
        }

        String metrics = http.send(HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("blip2_caption_latency_seconds_count{").contains("precision=\"fp16\"");

        // SIGTERM reaches java (PID 1, exec-form ENTRYPOINT): the service drains and exits 128 + 15.
        String id = SERVICE.getContainerId();
        SERVICE.getDockerClient().stopContainerCmd(id).withTimeout(90).exec();
        Long exit = SERVICE.getDockerClient().inspectContainerCmd(id).exec().getState().getExitCodeLong();
        assertThat(exit).isEqualTo(143L);
    }
}

package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.fail;

import dev.blip2serve.testing.Requirement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;

/**
 * The Docker engine of the container tests, and the service image they share: the Dockerfile's {@code cpu} target
 * built once per test JVM by the Docker CLI ({@code docker build}, host network so that Maven inside the build reaches
 * Maven Central).
 *
 * <p>Base images: where deploy/images/build-base-images.sh made the local ones (no Docker Hub, as in CI) the build takes
 * them through the Dockerfile's {@code JDK_IMAGE} / {@code JRE_IMAGE} build args; elsewhere the Dockerfile's defaults
 * (eclipse-temurin) are used. The compose test's Prometheus is the local image of Debian's package where it exists.
 *
 * <p>No engine: the test is skipped, unless {@code BLIP2_REQUIRE_DOCKER} is set (CI sets it): then it fails.
 */
final class DockerEngine {

    static final String LOCAL_JDK = "blip2-local/temurin:25-jdk";
    static final String LOCAL_JRE = "blip2-local/temurin:25-jre";
    static final String LOCAL_PROMETHEUS = "blip2-local/prometheus:bookworm";
    /** The image the tests build; `docker rmi` it to see the Dockerfile build from scratch (its layers stay cached). */
    static final String SERVICE_IMAGE = "blip2-serve-test:cpu";
    /** Every container a test starts gets at most this much memory (the CI machine is shared). */
    static final long MEMORY_LIMIT = 3L << 30;

    private static final Duration BUILD_WITHIN = Duration.ofMinutes(25);
    private static String built;

    private DockerEngine() {
    }

    /** The docker CLI, once the engine answers; skips (or with BLIP2_REQUIRE_DOCKER fails) without one. */
    static Path require() {
        Optional<Path> cli = DeployTools.onPath("docker");
        String problem = null;
        if (cli.isEmpty()) {
            problem = "the docker CLI is not installed";
        } else if (!DockerClientFactory.instance().isDockerAvailable()) {
            problem = "no Docker engine answers";
        }
        if (problem != null) {
            Requirement.unmet(problem + " (.ci/run installs docker.io and starts dockerd; see docs/DEPLOYMENT.md)",
                    "BLIP2_REQUIRE_DOCKER");
        }
        return cli.get();
    }

    static boolean hasImage(String tag) {
        return docker(Duration.ofSeconds(30), "image", "inspect", tag).exitCode() == 0;
    }

    /** {@code docker ARGS...}, bounded; the result whatever its exit code. */
    static DeployTools.Result docker(Duration within, String... args) {
        List<String> command = new ArrayList<>();
        command.add(require().toString());
        command.addAll(List.of(args));
        return DeployTools.run(command, within, null);
    }

    /** {@code docker ARGS...} that must succeed. */
    static String dockerOk(Duration within, String... args) {
        DeployTools.Result r = docker(within, args);
        if (r.exitCode() != 0) {
            fail("docker " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + r.all());
        }
        return r.stdout().strip();
    }

    /** The build args that select the local base images, when they exist (else the Dockerfile's defaults). */
    static Map<String, String> baseImageArgs() {
        if (hasImage(LOCAL_JDK) && hasImage(LOCAL_JRE)) {
            return Map.of("JDK_IMAGE", LOCAL_JDK, "JRE_IMAGE", LOCAL_JRE);
        }
        return Map.of();
    }

    /** The CPU image built from the Dockerfile (once per JVM; Docker's layer cache makes a rebuild cheap). */
    static synchronized String serviceImage() {
        if (built == null) {
            List<String> args = new ArrayList<>(List.of("build", "--network", "host", "--memory", "4g",
                    "--target", "cpu", "-t", SERVICE_IMAGE));
            baseImageArgs().forEach((k, v) -> args.addAll(List.of("--build-arg", k + "=" + v)));
            args.add(".");
            long start = System.nanoTime();
            DeployTools.Result r = docker(BUILD_WITHIN, args.toArray(String[]::new));
            if (r.exitCode() != 0) {
                fail("docker " + String.join(" ", args) + " exited " + r.exitCode() + ":\n" + tail(r.all(), 12_000));
            }
            System.out.printf("docker build --target cpu: %d s (%s)%n", (System.nanoTime() - start) / 1_000_000_000L,
                    baseImageArgs().isEmpty() ? "the Dockerfile's base images" : "local base images");
            built = SERVICE_IMAGE;
        }
        return built;
    }

    static String tail(String text, int chars) {
        return text.length() <= chars ? text : "..." + text.substring(text.length() - chars);
    }
}

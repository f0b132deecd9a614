package dev.blip2serve.deploy;

import static dev.blip2serve.deploy.DeployTools.ROOT;
import static dev.blip2serve.deploy.HelmChartTest.cast;
import static dev.blip2serve.deploy.HelmChartTest.list;
import static dev.blip2serve.deploy.HelmChartTest.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * docker-compose.yml and the CPU override, parsed by Docker Compose itself ({@code config} needs no engine): with the
 * v2 plugin both files directly; with Debian's v1 (what CI installs; it does not know Compose v2.24's {@code !reset})
 * the GPU file directly and the override after this test merges it by the Compose merge rules (mappings merge,
 * sequences append, {@code !reset} removes). The normalized models are then checked: GPU reservation or none, read-only
 * root with an exec tmpfs /tmp, the models volume, the grace period, Prometheus and Grafana wired to the shipped files.
 */
class ComposeFilesTest {

    private static final Path BASE = ROOT.resolve("docker-compose.yml");
    private static final Path CPU = ROOT.resolve("docker-compose.cpu.yml");

    @Test
    void gpuComposeParsesAndReservesAGpu() {
        List<String> compose = requireCompose();
        Map<String, Object> model = config(compose, BASE);
        Map<String, Object> serve = service(model, "blip2-serve");
        assertThat(map(serve, "build")).containsEntry("target", "gpu");
        assertThat(String.valueOf(serve.get("image"))).isEqualTo("blip2-serve:0.1.0");
        List<Object> devices = list(map(serve, "deploy", "resources", "reservations"), "devices");
        assertThat(devices).singleElement().satisfies(d -> {
            assertThat(cast(d)).containsEntry("driver", "nvidia").containsEntry("count", 1);
            assertThat(list(cast(d), "capabilities")).containsExactly("gpu");
        });
        assertThat(environment(serve)).containsEntry("BLIP2_ORT_CUDA", "true");
        assertRunsHardened(serve);
        assertMonitoringStack(model);
    }

    @Test
    void cpuOverrideParsesAndDropsTheGpu() throws IOException {
        List<String> compose = requireCompose();
        Map<String, Object> model = config(compose, cpuFiles(compose, tmp).toArray(Path[]::new));
        Map<String, Object> serve = service(model, "blip2-serve");
        assertThat(map(serve, "build")).containsEntry("target", "cpu");
        assertThat(String.valueOf(serve.get("image"))).isEqualTo("blip2-serve:0.1.0-cpu");
        Map<String, Object> deploy = serve.containsKey("deploy") ? map(serve, "deploy") : Map.of();
        assertThat(String.valueOf(deploy)).doesNotContain("nvidia").doesNotContain("gpu");
        assertThat(environment(serve)).containsEntry("BLIP2_ORT_CUDA", "false");
        assertRunsHardened(serve);
        assertMonitoringStack(model);
    }

    @TempDir
    Path tmp;

    private static void assertRunsHardened(Map<String, Object> serve) {
        assertThat(serve.get("read_only")).isEqualTo(true);
        assertThat(String.valueOf(serve.get("user"))).isEqualTo("10001:10001");
        assertThat(list(serve, "cap_drop")).containsExactly("ALL");
        String tmpfs = String.valueOf(serve.get("tmpfs"));
        assertThat(tmpfs).as("tmpfs /tmp, exec: ONNX Runtime and the tokenizer load native libraries from it")
                .contains("/tmp").contains("exec").doesNotContain("noexec");
        assertThat(seconds(String.valueOf(serve.get("stop_grace_period")))).as("30 s web + 30 s drain")
                .isGreaterThanOrEqualTo(60);
        assertThat(environment(serve)).containsEntry("BLIP2_REPOSITORY", "/models");
        assertThat(String.valueOf(serve.get("volumes"))).contains("models").contains("/models");
        assertThat(String.valueOf(serve.get("ports"))).contains("8080");
        Map<String, Object> health = map(serve, "healthcheck");
        assertThat(String.valueOf(health.get("test"))).contains("/actuator/health/readiness");
        assertThat(seconds(String.valueOf(health.get("start_period")))).isGreaterThanOrEqualTo(600);
    }

    /** Prometheus mounts the shipped config, Grafana the shipped provisioning and dashboards; the files exist. */
    private static void assertMonitoringStack(Map<String, Object> model) {
        String prometheusVolumes = String.valueOf(service(model, "prometheus").get("volumes"));
        assertThat(prometheusVolumes).contains("deploy/prometheus/prometheus.yml");
        String grafanaVolumes = String.valueOf(service(model, "grafana").get("volumes"));
        assertThat(grafanaVolumes).contains("deploy/grafana/provisioning").contains("deploy/grafana/dashboards")
                .contains("/var/lib/grafana/dashboards");
        assertThat(ROOT.resolve("deploy/prometheus/prometheus.yml")).isRegularFile();
        assertThat(ROOT.resolve("deploy/grafana/provisioning/datasources")).isDirectory();
        for (Map<String, Object> s : List.of(service(model, "prometheus"), service(model, "grafana"))) {
            assertThat(String.valueOf(s.get("image"))).as("pinned image").matches("[a-z0-9./-]+:[A-Za-z0-9._-]+")
                    .doesNotEndWith(":latest");
        }
        assertThat(map(model, "volumes")).containsKeys("models", "prometheus-data", "grafana-data");
    }

    // ------------------------------------------------------------------ Compose

    /**
     * The {@code -f} files of the CPU deployment: both files for Compose v2; for v1, which does not know {@code !reset},
     * one file in {@code tmp} with the override merged by the Compose merge rules (relative paths stay relative to the
     * project directory, which the caller passes as {@code --project-directory}).
     */
    static List<Path> cpuFiles(List<String> compose, Path tmp) throws IOException {
        if (DeployTools.composeV2(compose)) {
            return List.of(BASE, CPU);
        }
        Path file = tmp.resolve("docker-compose.merged.yml");
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        Files.writeString(file, new Yaml(o).dump(merge(load(BASE), load(CPU))));
        return List.of(file);
    }

    static List<String> requireCompose() {
        java.util.Optional<List<String>> compose = DeployTools.compose();
        DeployTools.require(compose.map(c -> Path.of(c.getFirst())), "docker compose (Debian package docker-compose)");
        return compose.get();
    }

    private static Map<String, Object> config(List<String> compose, Path... files) {
        List<String> c = new ArrayList<>(compose);
        c.add("--project-directory");
        c.add(ROOT.toString());
        for (Path f : files) {
            c.add("-f");
            c.add(f.toString());
        }
        c.add("config");
        DeployTools.Result r = DeployTools.run(c, Duration.ofMinutes(2), null);
        assertThat(r.exitCode()).as(String.join(" ", c) + ":\n" + r.all()).isZero();
        return HelmChartTest.yaml().load(r.stdout());
    }

    private static Map<String, Object> service(Map<String, Object> model, String name) {
        return map(model, "services", name);
    }

    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new LinkedHashMap<>();
        Object e = service.get("environment");
        if (e instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        } else if (e instanceof List<?> l) {
            for (Object kv : l) {
                String s = String.valueOf(kv);
                int eq = s.indexOf('=');
                env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        }
        return env;
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(h|m|s|ms)");

    /** Compose durations: "90s", "1m30s", "10m". */
    static long seconds(String duration) {
        Matcher m = DURATION.matcher(duration);
        long total = 0;
        boolean any = false;
        while (m.find()) {
            any = true;
            long n = Long.parseLong(m.group(1));
            total += switch (m.group(2)) {
                case "h" -> n * 3600;
                case "m" -> n * 60;
                case "ms" -> 0;
                default -> n;
            };
        }
        assertThat(any).as("a duration: " + duration).isTrue();
        return total;
    }

    // ------------------------------------------------------------------ the Compose merge rules, for Compose v1

    /** What {@code !reset} stands for until the merge removes the key. */
    static final Object RESET = new Object() {
        @Override
        public String toString() {
            return "!reset";
        }
    };

    private static final class ComposeConstructor extends SafeConstructor {
        ComposeConstructor() {
            super(new LoaderOptions());
            yamlConstructors.put(new Tag("!reset"), new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    return RESET;
                }
            });
        }
    }

    static Map<String, Object> load(Path file) throws IOException {
        return new Yaml(new ComposeConstructor()).load(Files.readString(file));
    }

    /** Mappings merge, sequences append, scalars are replaced, {@code !reset} removes the key. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        for (Map.Entry<String, Object> e : override.entrySet()) {
            Object prev = out.get(e.getKey());
            Object v = e.getValue();
            if (v == RESET) {
                out.remove(e.getKey());
            } else if (prev instanceof Map<?, ?> pm && v instanceof Map<?, ?> vm) {
                out.put(e.getKey(), merge((Map<String, Object>) pm, (Map<String, Object>) vm));
            } else if (prev instanceof List<?> pl && v instanceof List<?> vl) {
                List<Object> both = new ArrayList<>(pl);
                both.addAll(vl);
                out.put(e.getKey(), both);
            } else {
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    @Test
    void theMergeFollowsTheComposeRules() {
        Map<String, Object> merged = merge(
                Map.of("a", Map.of("x", 1, "l", List.of(1)), "d", Map.of("devices", List.of("gpu")), "s", "old"),
                Map.of("a", Map.of("y", 2, "l", List.of(2)), "d", Map.of("devices", RESET), "s", "new"));
        assertThat(merged).containsEntry("s", "new");
        assertThat(cast(merged.get("a"))).containsEntry("x", 1).containsEntry("y", 2).containsEntry("l", List.of(1, 2));
        assertThat(cast(merged.get("d"))).isEmpty();
    }
}

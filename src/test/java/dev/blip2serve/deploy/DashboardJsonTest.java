package dev.blip2serve.deploy;

import static dev.blip2serve.deploy.DeployTools.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The shipped Grafana dashboards are valid dashboard JSON that Grafana's file provisioning and its sidecar load: a
 * title and uid, a schemaVersion, panels on the 24-column grid with unique ids, every query panel with targets, a
 * datasource variable that every panel and target uses (no hard-coded datasource uid), and metric names the service
 * documents. Also the Grafana provisioning files compose mounts and the Prometheus configuration (promtool, where
 * Debian's prometheus is installed).
 */
class DashboardJsonTest {

    private static final Set<String> NO_QUERIES = Set.of("row", "text", "news", "dashlist");

    @Test
    void dashboardsAreValidGrafanaDashboards() {
        List<Path> files = Dashboards.files();
        assertThat(files).isNotEmpty();
        Set<String> uids = new HashSet<>();
        for (Path f : files) {
            JsonNode d = Dashboards.read(f);
            String name = f.getFileName().toString();
            assertThat(d.path("title").asString()).as(name + " title").isNotBlank();
            assertThat(d.path("uid").asString()).as(name + " uid").matches("[A-Za-z0-9_-]{1,40}");
            assertThat(uids.add(d.path("uid").asString())).as(name + " uid is unique").isTrue();
            assertThat(d.path("schemaVersion").isInt()).as(name + " schemaVersion").isTrue();
            assertThat(d.path("schemaVersion").asInt()).isBetween(36, 45);
            assertThat(d.has("id") && !d.path("id").isNull()).as(name + ": no instance-specific id").isFalse();
            assertThat(d.path("time").path("from").asString()).isNotBlank();

            List<JsonNode> panels = Dashboards.panels(d);
            assertThat(panels).as(name + " panels").hasSizeGreaterThan(5);
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : panels) {
                String title = name + " panel '" + p.path("title").asString() + "'";
                assertThat(p.path("title").asString()).as(title).isNotBlank();
                assertThat(p.path("type").asString()).as(title + " type").isNotBlank();
                assertThat(ids.add(p.path("id").asInt())).as(title + " id is unique").isTrue();
                JsonNode g = p.path("gridPos");
                assertThat(g.path("w").asInt() + g.path("x").asInt()).as(title + " fits 24 columns").isBetween(1, 24);
                assertThat(g.path("h").asInt()).as(title + " height").isPositive();
                if (NO_QUERIES.contains(p.path("type").asString())) {
                    continue;
                }
                assertThat(p.path("targets").isArray() && !p.path("targets").isEmpty()).as(title + " targets").isTrue();
                Set<String> refIds = new HashSet<>();
                for (JsonNode t : p.path("targets")) {
                    assertThat(t.path("expr").asString()).as(title + " expr").isNotBlank();
                    assertThat(refIds.add(t.path("refId").asString())).as(title + " refId unique").isTrue();
                }
                assertThat(p.path("fieldConfig").path("defaults").path("unit").asString()).as(title + " unit").isNotBlank();
            }
            if (panels.stream().anyMatch(p -> p.path("type").asString().equals("text"))) {
                assertThat(panels.stream().filter(p -> p.path("type").asString().equals("text")))
                        .allSatisfy(p -> assertThat(p.path("options").path("content").asString()).isNotBlank());
            }
        }
    }

    @Test
    void everyQueryUsesTheDatasourceVariableAndNoHardCodedUid() {
        for (Path f : Dashboards.files()) {
            JsonNode d = Dashboards.read(f);
            String name = f.getFileName().toString();
            List<JsonNode> vars = new ArrayList<>();
            d.path("templating").path("list").forEach(vars::add);
            JsonNode ds = vars.stream().filter(v -> v.path("type").asString().equals("datasource")).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " has no datasource variable"));
            assertThat(ds.path("query").asString()).isEqualTo("prometheus");
            String ref = "${" + ds.path("name").asString() + "}";

            List<String> datasourceUses = new ArrayList<>();
            collectDatasources(d, "", datasourceUses);
            assertThat(datasourceUses).as(name + " datasource references").isNotEmpty();
            for (String use : datasourceUses) {
                assertThat(use).as(name).satisfiesAnyOf(
                        u -> assertThat(u).endsWith("=prometheus:" + ref),
                        u -> assertThat(u).contains("annotations").endsWith("=grafana:-- Grafana --"));
            }
            for (JsonNode p : Dashboards.panels(d)) {
                if (!NO_QUERIES.contains(p.path("type").asString())) {
                    assertThat(p.path("datasource").path("uid").asString()).as(name + " " + p.path("title").asString())
                            .isEqualTo(ref);
                    p.path("targets").forEach(t -> assertThat(t.path("datasource").path("uid").asString()).isEqualTo(ref));
                }
            }
        }
    }

    /** Every {@code datasource} object: where=type:uid. A string datasource (legacy name) is a hard-coded one. */
    private static void collectDatasources(JsonNode node, String where, List<String> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (e.getKey().equals("datasource") && !e.getValue().isNull()) {
                    JsonNode v = e.getValue();
                    assertThat(v.isObject()).as(where + ".datasource must be {type, uid}, not " + v).isTrue();
                    out.add(where + "=" + v.path("type").asString() + ":" + v.path("uid").asString());
                } else {
                    collectDatasources(e.getValue(), where + "." + e.getKey(), out);
                }
            }
        } else if (node.isArray()) {
            int i = 0;
            for (JsonNode n : node) {
                collectDatasources(n, where + "[" + i++ + "]", out);
            }
        }
    }

    private static final Pattern METRIC = Pattern.compile("\\b(blip2_[a-z0-9_]+)");

    /** The blip2_* series the dashboards read are the ones docs/SERVICE.md documents (histogram suffixes aside). */
    @Test
    void dashboardMetricsAreDocumented() throws IOException {
        String service = Files.readString(ROOT.resolve("docs/SERVICE.md"));
        Set<String> used = new TreeSet<>();
        for (Dashboards.Query q : Dashboards.queries()) {
            Matcher m = METRIC.matcher(q.expr());
            while (m.find()) {
                used.add(m.group(1).replaceAll("_(bucket|sum|count|max)$", ""));
            }
        }
        assertThat(used).contains("blip2_caption_latency_seconds", "blip2_time_per_output_token_seconds",
                "blip2_batch_size", "blip2_queue_depth", "blip2_model_bytes", "blip2_variant_load_resident_delta_bytes");
        for (String metric : used) {
            assertThat(service).as(metric + " in docs/SERVICE.md").contains("`" + metric + "`");
        }
    }

    @Test
    void composeProvisioningPointsAtTheDashboardsAndPrometheus() throws IOException {
        Path provisioning = ROOT.resolve("deploy/grafana/provisioning");
        Map<String, Object> datasources = HelmChartTest.yaml().load(Files.readString(provisioning.resolve("datasources/prometheus.yml")));
        Map<String, Object> prometheus = HelmChartTest.cast(HelmChartTest.list(datasources, "datasources").getFirst());
        assertThat(prometheus).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090")
                .containsEntry("isDefault", true);

        Map<String, Object> providers = HelmChartTest.yaml().load(Files.readString(provisioning.resolve("dashboards/blip2-serve.yml")));
        Map<String, Object> provider = HelmChartTest.cast(HelmChartTest.list(providers, "providers").getFirst());
        assertThat(HelmChartTest.map(provider, "options")).containsEntry("path", "/var/lib/grafana/dashboards");
        assertThat(provider).containsEntry("type", "file");

        Map<String, Object> config = HelmChartTest.yaml().load(Files.readString(ROOT.resolve("deploy/prometheus/prometheus.yml")));
        Map<String, Object> job = HelmChartTest.cast(HelmChartTest.list(config, "scrape_configs").getFirst());
        assertThat(job).containsEntry("job_name", "blip2-serve").containsEntry("metrics_path", "/actuator/prometheus");
        Map<String, Object> targets = HelmChartTest.cast(HelmChartTest.list(job, "static_configs").getFirst());
        assertThat(HelmChartTest.list(targets, "targets")).containsExactly("blip2-serve:8080");
    }

    @Test
    void promtoolAcceptsThePrometheusConfiguration() {
        Path promtool = DeployTools.require(DeployTools.onPath("promtool"), "promtool (Debian package prometheus)");
        DeployTools.Result r = DeployTools.ok(DeployTools.cmd(promtool, "check", "config", "deploy/prometheus/prometheus.yml"));
        assertThat(r.all()).contains("SUCCESS");
    }
}

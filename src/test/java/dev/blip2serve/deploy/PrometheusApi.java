package dev.blip2serve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * A Prometheus server's query API as the dashboard tests use it: instant queries, and whether a dashboard query has
 * data (a finite value; for each precision when its series carry one; label values for a query variable).
 *
 * @param http       the client (loopback only)
 * @param server     the server's address, e.g. {@code http://127.0.0.1:9090}
 * @param precisions the precisions that must each have a value where a query is grouped by precision
 */
record PrometheusApi(HttpClient http, URI server, List<String> precisions) {

    /** The result vector of an instant query; fails on an error answer (a PromQL syntax error, say). */
    JsonNode query(String promql) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/api/v1/query?query="
                            + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = Dashboards.JSON.readTree(r.body());
            if (r.statusCode() != 200 || !body.path("status").asString().equals("success")) {
                throw new AssertionError("query failed (" + r.statusCode() + "): " + r.body());
            }
            JsonNode data = body.path("data");
            assertThat(data.path("resultType").asString()).as(promql).isEqualTo("vector");
            return data.path("result");
        } catch (IOException e) {
            throw new AssertionError("query failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * One poll over the queries still in {@code missing}: those with data leave it, the others keep what they lack.
     * Each query must return data at some poll (rates over 1m fade once the traffic is over).
     *
     * @return "" when every query has had data, else one line per query still missing
     */
    String pollMissing(Map<Dashboards.Query, String> missing, Map<String, String> variables) {
        for (Dashboards.Query q : List.copyOf(missing.keySet())) {
            String promql = Dashboards.promql(q.expr(), variables);
            String problem = missing(q, promql);
            if (problem.isEmpty()) {
                missing.remove(q);
            } else {
                missing.put(q, promql + "\n    -> " + problem);
            }
        }
        return String.join("\n", missing.entrySet().stream()
                .map(e -> e.getKey().dashboard() + " " + e.getKey().where() + ": " + e.getValue()).toList());
    }

    /** "" when the dashboard query (its Grafana variables replaced: {@code promql}) has data, else what is missing. */
    String missing(Dashboards.Query q, String promql) {
        if (promql.contains("$")) {
            return "an unreplaced Grafana variable";
        }
        JsonNode result;
        try {
            result = query(promql);
        } catch (AssertionError e) {
            return e.getMessage();
        }
        if (result.isEmpty()) {
            return "no data";
        }
        String label = Dashboards.labelOfVariable(q.expr());
        if (label != null) {
            Set<String> values = new TreeSet<>();
            result.forEach(s -> values.add(s.path("metric").path(label).asString()));
            values.remove("");
            return values.isEmpty() ? "no values of the label " + label : "";
        }
        Set<String> finiteFor = new TreeSet<>();
        boolean byPrecision = false;
        boolean anyFinite = false;
        for (JsonNode series : result) {
            double v = Double.parseDouble(series.path("value").get(1).asString());
            String p = series.path("metric").path("precision").asString();
            byPrecision |= !p.isEmpty();
            if (Double.isFinite(v)) {
                anyFinite = true;
                finiteFor.add(p);
            }
        }
        if (!anyFinite) {
            return "no finite value: " + result;
        }
        if (byPrecision && !finiteFor.containsAll(precisions)) {
            return "no finite value for every precision, only " + finiteFor + ": " + result;
        }
        return "";
    }

    /** The {@code precision} label values of a result. */
    static Set<String> precisionsOf(JsonNode result) {
        Set<String> found = new TreeSet<>();
        result.forEach(s -> found.add(s.path("metric").path("precision").asString()));
        return found;
    }
}

package dev.blip2serve.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The shipped Grafana dashboards (deploy/grafana/dashboards/*.json) and the PromQL in them. */
final class Dashboards {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private Dashboards() {
    }

    /** One PromQL expression: a panel target's {@code expr}, or a query variable's {@code label_values(...)}. */
    record Query(String dashboard, String where, String expr, boolean instant) {
    }

    static List<Path> files() {
        try (Stream<Path> s = Files.list(DeployTools.DASHBOARDS)) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every panel, rows' nested panels included. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            all.add(p);
            for (JsonNode nested : p.path("panels")) {
                all.add(nested);
            }
        }
        return all;
    }

    /** Every expression of every panel target, and every query variable. */
    static List<Query> queries() {
        List<Query> queries = new ArrayList<>();
        for (Path f : files()) {
            JsonNode d = read(f);
            String name = f.getFileName().toString();
            for (JsonNode p : panels(d)) {
                for (JsonNode t : p.path("targets")) {
                    queries.add(new Query(name, "panel '" + p.path("title").asString() + "' " + t.path("refId").asString(),
                            t.path("expr").asString(), t.path("instant").asBoolean(false)));
                }
            }
            for (JsonNode v : d.path("templating").path("list")) {
                if (v.path("type").asString().equals("query")) {
                    JsonNode q = v.path("query");
                    String expr = q.isObject() ? q.path("query").asString() : q.asString();
                    queries.add(new Query(name, "variable " + v.path("name").asString(), expr, true));
                }
            }
        }
        return queries;
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*(\\w+)\\)$", Pattern.DOTALL);

    /**
     * The PromQL Prometheus evaluates for {@code expr} in Grafana with the given variable values: {@code label_values(
     * series, label)} becomes {@code series}; {@code $__rate_interval}, {@code $__interval} and {@code $__range} become
     * fixed ranges; {@code $var} / {@code ${var}} / {@code [[var]]} take {@code variables}.
     */
    static String promql(String expr, Map<String, String> variables) {
        String e = expr.strip();
        Matcher m = LABEL_VALUES.matcher(e);
        if (m.matches()) {
            e = m.group(1).strip();
        }
        e = e.replace("$__rate_interval", "1m").replace("${__rate_interval}", "1m")
                .replace("$__interval", "15s").replace("${__interval}", "15s")
                .replace("$__range", "5m").replace("${__range}", "5m");
        for (Map.Entry<String, String> v : variables.entrySet()) {
            e = e.replace("${" + v.getKey() + "}", v.getValue()).replace("[[" + v.getKey() + "]]", v.getValue())
                    .replaceAll("\\$" + Pattern.quote(v.getKey()) + "\\b", Matcher.quoteReplacement(v.getValue()));
        }
        return e;
    }

    /** The label a query variable takes its values from, or null for a panel query. */
    static String labelOfVariable(String expr) {
        Matcher m = LABEL_VALUES.matcher(expr.strip());
        return m.matches() ? m.group(2) : null;
    }
}

package dev.blip2serve.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** Walks a JSON document for keys that break the project's snake_case convention (docs/ARCHITECTURE.md). */
public final class JsonKeys {

    /** A lower-case letter or digit followed by an upper-case one: {@code perTokenMs}, {@code latencyP50}. */
    private static final Pattern CAMEL = Pattern.compile("[a-z0-9][A-Z]");

    private JsonKeys() {
    }

    /** The paths of every camelCase key in {@code node}, e.g. {@code $.variants[0].batches[1].perTokenMs}. */
    public static List<String> camelCase(JsonNode node) {
        List<String> found = new ArrayList<>();
        walk(node, "$", found);
        return found;
    }

    private static void walk(JsonNode node, String path, List<String> found) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String p = path + "." + e.getKey();
                if (CAMEL.matcher(e.getKey()).find()) {
                    found.add(p);
                }
                walk(e.getValue(), p, found);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), path + "[" + i + "]", found);
            }
        }
    }
}

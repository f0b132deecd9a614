package dev.blip2serve.json;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON convention for every file and body the project writes itself (manifests, {@code eval}, {@code bench},
 * {@code reproduce}, {@code caption --json}): keys in snake_case whatever a record component is called, in a fixed
 * order (records in declaration order; maps only as insertion-ordered {@code LinkedHashMap}s, never {@code Map.of}).
 */
public final class ProjectJson {

    private static final JsonMapper PRETTY = builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private static final JsonMapper COMPACT = builder().build();

    private ProjectJson() {
    }

    /** Indented output: files and reports. */
    public static JsonMapper pretty() {
        return PRETTY;
    }

    /** One line per value: JSON lines on stdout. */
    public static JsonMapper compact() {
        return COMPACT;
    }

    /** The convention, for a mapper that needs more settings (e.g. lenient reading of manifests). */
    public static JsonMapper.Builder builder() {
        return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    }
}

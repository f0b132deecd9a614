package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.ServeProperties;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One caption request parameter as clients see it: name, type, default, bounds and description. Defined once here,
 * for the configured limits, and read by both the parser ({@link CaptionOptions#parse}) and the OpenAPI document, so
 * the two cannot drift apart.
 *
 * @param defaultValue what an absent parameter means, or {@code null} where it depends on another parameter (the
 *                     description says on which)
 * @param minimum      smallest value ({@code NUMBER}: exclusive), or {@code null}
 * @param maximum      largest value or length, or {@code null}
 */
public record CaptionParameter(String name, Kind kind, String description, Object defaultValue, Number minimum,
                               Number maximum) {

    /** How the value is written. */
    public enum Kind { STRING, INTEGER, NUMBER }

    /** The names of {@link #all}, in order (for telling unknown JSON members and form fields apart). */
    public static final List<String> NAMES = List.of("model", "precision", "prompt", "max_new_tokens",
            "min_new_tokens", "num_beams", "num_captions", "repetition_penalty", "deadline_ms");

    /** Every caption parameter under the configured defaults and limits, by name, in {@link #NAMES} order. */
    public static Map<String, CaptionParameter> all(ServeProperties properties) {
        ServeProperties.Limits limits = properties.limits();
        int maxNew = limits.maxNewTokens();
        int deadline = (int) Math.min(Integer.MAX_VALUE, properties.batching().deadline().toMillis());
        Map<String, CaptionParameter> m = new LinkedHashMap<>();
        for (CaptionParameter p : List.of(
                string("model", "Repository model", properties.defaultModel(), null),
                string("precision", "Variant name, as listed by GET /v1/models", properties.defaultPrecision(), null),
                string("prompt", "Text after the image; `Question: ... Answer:` asks a question", "",
                        limits.maxPromptChars()),
                integer("max_new_tokens", "Most new tokens (EOS included)",
                        Math.min(properties.defaultMaxNewTokens(), maxNew), 1, maxNew),
                integer("min_new_tokens", "EOS is forbidden before this many new tokens (at most max_new_tokens)", 0, 0,
                        maxNew),
                integer("num_beams", "1 = greedy (default: num_captions)", null, 1, limits.maxBeams()),
                integer("num_captions", "n-best captions to return (<= num_beams)", 1, 1, limits.maxBeams()),
                new CaptionParameter("repetition_penalty", Kind.NUMBER, "HF's repetition penalty; 1 = off", 1.0, 0, null),
                integer("deadline_ms", "Answer 503 deadline-exceeded if not done by then; a queued request past it "
                        + "never runs", deadline, 1, deadline))) {
            m.put(p.name(), p);
        }
        if (!List.copyOf(m.keySet()).equals(NAMES)) {
            throw new IllegalStateException("caption parameters out of step with NAMES: " + m.keySet());
        }
        return m;
    }

    private static CaptionParameter string(String name, String description, String def, Integer maxLength) {
        return new CaptionParameter(name, Kind.STRING, description, def, null, maxLength);
    }

    private static CaptionParameter integer(String name, String description, Integer def, int min, int max) {
        return new CaptionParameter(name, Kind.INTEGER, description, def, min, max);
    }
}

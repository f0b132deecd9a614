package dev.blip2serve.eval.spice;

import dev.blip2serve.eval.metrics.Score;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SPICE over a set: per item precision / recall / F, and the mean F (what SPICE-1.0 and pycocoevalcap report
 * as "SPICE").
 *
 * @param items per item id, in the order of the candidates
 * @param parseMillis time spent parsing (including model loading, 0 when everything came from the cache)
 * @param matchMillis time spent matching tuples
 */
public record SpiceReport(Map<String, SpiceScore> items, Map<String, Map<String, SpiceScore>> byKind,
                          long parseMillis, long matchMillis) {

    /** The tuple kinds of {@link #byKind}, as SPICE-1.0 names its object / attribute / relation subscores. */
    public static final java.util.List<String> KINDS = java.util.List.of("object", "attribute", "relation");

    public SpiceReport {
        items = Collections.unmodifiableMap(new LinkedHashMap<>(items));
        Map<String, Map<String, SpiceScore>> k = new LinkedHashMap<>();
        byKind.forEach((kind, m) -> k.put(kind, Collections.unmodifiableMap(new LinkedHashMap<>(m))));
        byKind = Collections.unmodifiableMap(k);
    }

    /**
     * Mean F over the items of one tuple kind ({@code object}, {@code attribute}, {@code relation}), the
     * candidate's and the references' tuples of that kind only; items with no tuple of that kind on either
     * side are left out (SPICE-1.0 reports NaN for them), 0 when no item has one.
     */
    public double spice(String kind) {
        Map<String, SpiceScore> m = byKind.get(kind);
        if (m == null) {
            throw new IllegalArgumentException("no tuple kind " + kind + "; kinds: " + KINDS);
        }
        return m.values().stream().filter(s -> s.candidateTuples() + s.referenceTuples() > 0)
                .mapToDouble(SpiceScore::f).average().orElse(0.0);
    }

    /** Mean F over the items. */
    public double spice() {
        return items.values().stream().mapToDouble(SpiceScore::f).average().orElse(0.0);
    }

    public double meanPrecision() {
        return items.values().stream().mapToDouble(SpiceScore::precision).average().orElse(0.0);
    }

    public double meanRecall() {
        return items.values().stream().mapToDouble(SpiceScore::recall).average().orElse(0.0);
    }
}

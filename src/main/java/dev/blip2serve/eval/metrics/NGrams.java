package dev.blip2serve.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N-gram counting shared by BLEU and CIDEr-D (pycocoevalcap's {@code precook}). */
final class NGrams {

    private NGrams() {
    }

    /** Counts every n-gram of order 1..maxOrder; a key's size is its order. */
    static Map<List<String>, Integer> count(List<String> tokens, int maxOrder) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int order = 1; order <= maxOrder; order++) {
            for (int i = 0; i + order <= tokens.size(); i++) {
                counts.merge(List.copyOf(tokens.subList(i, i + order)), 1, Integer::sum);
            }
        }
        return counts;
    }
}

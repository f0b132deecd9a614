package dev.blip2serve.eval.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A metric over an evaluation set: the corpus-level value and one value per item id.
 *
 * <p>For CIDEr-D, ROUGE-L, exact match and QA accuracy the corpus value is the mean of the item values;
 * for BLEU it is computed from summed n-gram statistics, as pycocoevalcap does, and is not the mean.
 *
 * @param corpus the corpus-level value
 * @param perItem value per item id, in the order of the evaluated set (unmodifiable)
 */
public record Score(double corpus, Map<String, Double> perItem) {

    public Score {
        perItem = Collections.unmodifiableMap(new LinkedHashMap<>(perItem));
    }

    /** The value of one item; throws {@link IllegalArgumentException} for an unknown id. */
    public double item(String id) {
        Double value = perItem.get(id);
        if (value == null) {
            throw new IllegalArgumentException("no item " + id);
        }
        return value;
    }

    static Score ofMean(Map<String, Double> perItem) {
        double sum = 0;
        for (double v : perItem.values()) {
            sum += v;
        }
        return new Score(perItem.isEmpty() ? 0.0 : sum / perItem.size(), perItem);
    }
}

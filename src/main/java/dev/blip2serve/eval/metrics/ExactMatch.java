package dev.blip2serve.eval.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact caption match: an item scores 1 when its candidate's token list equals the token list of at least
 * one of its references, else 0; the corpus value is the fraction of items that match.
 *
 * <p>With {@link PtbTokenizer} tokens this compares captions after pycocoevalcap's normalisation, so case,
 * spacing and the removed punctuation ("A red circle." vs "a red circle") do not matter.
 */
public final class ExactMatch {

    /** Scores raw captions after {@link PtbTokenizer} normalisation. */
    public Score score(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        return score(TokenizedCaptions.ptb(references, candidates));
    }

    /** Scores a tokenised set. */
    public Score score(TokenizedCaptions set) {
        Map<String, Double> perItem = new LinkedHashMap<>();
        set.references().forEach((id, refs) -> perItem.put(id, refs.contains(set.candidates().get(id)) ? 1.0 : 0.0));
        return Score.ofMean(perItem);
    }
}

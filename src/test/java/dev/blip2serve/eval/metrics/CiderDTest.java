package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CiderDTest {

    private final CiderD cider = new CiderD();

    @Test
    void identicalCaptionsScoreTheShareOfOrdersWithInformativeNgrams() {
        // "a" occurs in every item (idf 0); the other 1..3-grams have idf log 2; there is no 4-gram,
        // so each item gets (1 + 1 + 1 + 0) / 4 * 10
        Score s = cider.score(Map.of("x", List.of("a red circle"), "y", List.of("a blue square")),
                Map.of("x", "A red circle.", "y", "a blue square"));
        assertEquals(7.5, s.item("x"), 1e-9);
        assertEquals(7.5, s.item("y"), 1e-9);
        assertEquals(7.5, s.corpus(), 1e-9);
    }

    @Test
    void singleItemSetScoresZero() {
        // every reference n-gram has df = N = 1, so all weights are log 1 - log 1 = 0
        Score s = cider.score(Map.of("x", List.of("a red circle")), Map.of("x", "a red circle"));
        assertEquals(0.0, s.corpus());
    }

    @Test
    void emptyCandidateScoresZeroWithoutException() {
        Score s = cider.score(Map.of("x", List.of("a red circle"), "y", List.of("a blue square")),
                Map.of("x", "", "y", "a blue square"));
        assertEquals(0.0, s.item("x"));
        assertEquals(7.5, s.item("y"), 1e-9);
    }

    @Test
    void clipsRepeatedNgramsAndPenalisesLengthDifference() {
        Score s = cider.score(Map.of("x", List.of("red circle"), "y", List.of("blue square")),
                Map.of("x", "red circle red circle", "y", "blue square"));
        // unigrams: candidate 2w per word, clipped to w: w^2 * 2 / (2w*sqrt2 * w*sqrt2) = 1/2
        // bigrams: "red circle" x2 (clipped) and novel "circle red" (weight log 2): 1/sqrt5
        // no tri/4-grams in the reference; bigram counts 3 vs 1 give delta 2
        double expected = (0.5 + 1 / Math.sqrt(5)) / 4 * 10 * Math.exp(-4.0 / (2 * 36));
        assertEquals(expected, s.item("x"), 1e-9);
        assertEquals(5.0, s.item("y"), 1e-9);
    }

    @Test
    void averagesOverReferences() {
        Score s = cider.score(Map.of("x", List.of("red circle", "green triangle"), "y", List.of("blue square")),
                Map.of("x", "red circle", "y", "blue square"));
        assertEquals(2.5, s.item("x"), 1e-9);
    }

    @Test
    void duplicatingTheSetChangesScoresWhenCandidatesHaveUnseenNgrams() {
        // an n-gram in no reference has df 0 and weight log N: it grows with N, so this is not invariant
        var refs = new LinkedHashMap<String, List<String>>();
        var cands = new LinkedHashMap<String, String>();
        refs.put("x", List.of("a red circle"));
        refs.put("y", List.of("a blue square"));
        cands.put("x", "a red circle today");
        cands.put("y", "a blue square");
        double once = cider.score(refs, cands).item("x");
        refs.put("x2", List.of("a red circle"));
        refs.put("y2", List.of("a blue square"));
        cands.put("x2", "a red circle today");
        cands.put("y2", "a blue square");
        assertNotEquals(once, cider.score(refs, cands).item("x"), 1e-6);
    }
}

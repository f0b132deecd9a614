package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class BleuTest {

    private final Bleu bleu = new Bleu();

    private BleuScores one(String candidate, String... references) {
        return bleu.score(Map.of("x", List.of(references)), Map.of("x", candidate));
    }

    @Test
    void identicalCaptionScoresOneAtEveryOrder() {
        BleuScores s = one("A red circle on the left.", "a red circle on the left");
        for (int n = 1; n <= 4; n++) {
            assertEquals(1.0, s.corpus(n), 1e-9);
            assertEquals(1.0, s.order(n).item("x"), 1e-9);
        }
    }

    @Test
    void emptyCandidateScoresZeroWithoutException() {
        BleuScores s = one("", "a red circle");
        for (int n = 1; n <= 4; n++) {
            assertEquals(0.0, s.corpus(n));
            assertEquals(0.0, s.order(n).item("x"));
        }
    }

    @Test
    void precisionsAreClippedAndCombinedGeometrically() {
        // unigrams 2/3, bigrams 1/2, trigrams 0/1, no 4-grams; same length, so no brevity penalty
        BleuScores s = one("a red square", "a red circle");
        assertEquals(2.0 / 3, s.corpus(1), 1e-9);
        assertEquals(Math.sqrt(2.0 / 3 * 0.5), s.corpus(2), 1e-9);
        assertEquals(Math.cbrt(1.0 / 3 * 1e-15), s.corpus(3), 1e-9);
        assertTrue(s.corpus(4) < 1e-4);
        // "the" four times, once in the reference: clipped to 1 of 4
        assertEquals(0.25, one("the the the the", "the cat").corpus(1), 1e-9);
    }

    @Test
    void shortCandidateGetsBrevityPenalty() {
        BleuScores s = one("a red circle", "a red circle on the left");
        assertEquals(Math.exp(1 - 6.0 / 3), s.corpus(1), 1e-9);
        assertEquals(Math.exp(1 - 6.0 / 3), s.corpus(3), 1e-9);
    }

    @Test
    void closestReferenceLengthPrefersTheShorterOnATie() {
        // lengths 3 and 5 are both 1 away from 4: the 3 wins, so there is no brevity penalty
        assertEquals(1.0, one("a b c d", "a b c", "a b c d e").corpus(1), 1e-9);
        // with only the longer reference the penalty applies
        assertEquals(Math.exp(1 - 5.0 / 4), one("a b c d", "a b c d e").corpus(1), 1e-9);
    }

    @Test
    void corpusBleuPoolsCountsInsteadOfAveragingItems() {
        BleuScores s = bleu.score(
                Map.of("a", List.of("a red circle"), "b", List.of("one blue square at the top")),
                Map.of("a", "a red circle", "b", "one green square at the bottom"));
        // unigrams: 3/3 + 4/6 matched = 7/9; lengths 9 vs 9
        assertEquals(7.0 / 9, s.corpus(1), 1e-9);
        assertEquals(1.0, s.order(1).item("a"), 1e-9);
        assertEquals(4.0 / 6, s.order(1).item("b"), 1e-9);
    }

    @Test
    void rejectsMismatchedIds() {
        assertThrows(IllegalArgumentException.class,
                () -> bleu.score(Map.of("a", List.of("x")), Map.of("b", "x")));
        assertThrows(IllegalArgumentException.class,
                () -> bleu.score(Map.of("a", List.of()), Map.of("a", "x")));
    }
}

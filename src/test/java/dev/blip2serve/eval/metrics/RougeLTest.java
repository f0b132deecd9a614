package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RougeLTest {

    private final RougeL rouge = new RougeL();

    private double one(String candidate, String... references) {
        return rouge.score(Map.of("x", List.of(references)), Map.of("x", candidate)).corpus();
    }

    @Test
    void identicalCaptionScoresOne() {
        assertEquals(1.0, one("A red circle.", "a red circle"), 1e-12);
    }

    @Test
    void emptyCandidateScoresZeroWithoutException() {
        assertEquals(0.0, one("", "a red circle"));
    }

    @Test
    void weightsRecallWithBeta12() {
        // LCS 3: precision 1, recall 3/5
        double p = 1;
        double r = 0.6;
        assertEquals((1 + 1.44) * p * r / (r + 1.44 * p), one("a red circle", "a big red circle here"), 1e-12);
        assertEquals(2.0 / 3, one("a red circle on the left", "a red square on the right"), 1e-12);
    }

    @Test
    void takesBestPrecisionAndBestRecallFromPossiblyDifferentReferences() {
        // "a red" gives recall 1, the long reference gives precision 1: F = 1 though neither matches exactly
        assertEquals(1.0, one("a red circle", "a red", "x y z a red circle w"), 1e-12);
    }

    @Test
    void lcsLength() {
        assertEquals(4, RougeL.lcsLength(List.of("a", "b", "c", "d", "e"), List.of("a", "c", "x", "d", "e")));
        assertEquals(0, RougeL.lcsLength(List.of(), List.of("a")));
    }
}

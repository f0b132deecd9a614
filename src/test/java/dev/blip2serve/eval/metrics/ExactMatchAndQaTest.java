package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ExactMatchAndQaTest {

    @Test
    void exactMatchComparesTokenisedCaptionsWithEveryReference() {
        Score s = new ExactMatch().score(
                Map.of("a", List.of("a blue square", "a red circle"), "b", List.of("a red circle"),
                        "c", List.of("a red circle")),
                Map.of("a", "A red  circle.", "b", "a red circles", "c", ""));
        assertEquals(1.0, s.item("a"));
        assertEquals(0.0, s.item("b"));
        assertEquals(0.0, s.item("c"));
        assertEquals(1.0 / 3, s.corpus(), 1e-12);
    }

    @Test
    void qaNormalisationLowercasesStripsPunctuationAndArticles() {
        assertEquals("circle", QaAccuracy.normalize("The Circle."));
        assertEquals("red circle", QaAccuracy.normalize("  a  red, circle! "));
        assertEquals("blackandwhite", QaAccuracy.normalize("black-and-white"));
        assertEquals("", QaAccuracy.normalize("the"));
        assertTrue(QaAccuracy.matches("An apple", "apple"));
        assertFalse(QaAccuracy.matches("2", "two"));
        assertFalse(QaAccuracy.matches("grey", "gray"));
        assertFalse(QaAccuracy.matches("theme", "me"));
    }

    @Test
    void qaAccuracyIsTheFractionOfCorrectAnswers() {
        QaAccuracy qa = new QaAccuracy();
        Score s = qa.score(Map.of("a", "white", "b", "two", "c", "circle"),
                Map.of("a", "White.", "b", "three", "c", ""));
        assertEquals(1.0 / 3, s.corpus(), 1e-12);
        assertEquals(1.0, qa.scoreAnyOf(Map.of("a", List.of("gray", "grey")), Map.of("a", "grey")).corpus());
        assertThrows(IllegalArgumentException.class, () -> qa.score(Map.of("a", "x"), Map.of("b", "x")));
    }
}

package dev.blip2serve.eval.spice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Hand-checked sentences through CoreNLP's scene-graph parser and WordNet (issue 4's acceptance). */
class SpiceCoreNlpTest {

    private final Spice spice = new Spice(new CachedSceneGraphParser(SharedParser.parser()), SharedParser.synonyms());

    private Set<SpiceTuple> tuples(String caption) {
        return spice.parser().parse(List.of(caption)).getFirst();
    }

    private SpiceScore score(String candidate, String... references) {
        return spice.score(Map.of("x", List.of(references)), Map.of("x", candidate)).items().get("x");
    }

    @Test
    void tuplesOfACaption() {
        assertThat(tuples("a red circle on the left")).containsExactlyInAnyOrder(
                SpiceTuple.object("circle"), SpiceTuple.object("left"),
                SpiceTuple.attribute("circle", "red"), SpiceTuple.relation("circle", "on", "left"));
        assertThat(tuples("a circle that is red")).containsExactlyInAnyOrder(
                SpiceTuple.object("circle"), SpiceTuple.attribute("circle", "red"));
        assertThat(tuples("two men riding horses")).contains(
                SpiceTuple.object("man"), SpiceTuple.object("horse"), SpiceTuple.relation("man", "ride", "horse"));
    }

    @Test
    void identicalCaptionsScoreOne() {
        for (String c : List.of("a red circle on the left", "a purple circle to the left of a blue diamond",
                "a man riding a horse", "a small circle that is red")) {
            assertThat(score(c, c).f()).as(c).isEqualTo(1.0);
        }
    }

    @Test
    void relativeClauseSharesObjectAndAttribute() {
        SpiceScore s = score("a red circle on the left", "a circle that is red");
        // candidate: circle, left, (circle red), (circle on left); reference: circle, (circle red)
        assertThat(s.candidateTuples()).isEqualTo(4);
        assertThat(s.referenceTuples()).isEqualTo(2);
        assertThat(s.matchedCandidate()).isEqualTo(2);
        assertThat(s.precision()).isEqualTo(0.5);
        assertThat(s.recall()).isEqualTo(1.0);
        assertThat(s.f()).isCloseTo(2.0 / 3, within(1e-12));
    }

    @Test
    void wrongColourLosesExactlyTheAttributeTuple() {
        SpiceScore s = score("a blue circle on the left", "a red circle on the left");
        assertThat(s.candidateTuples()).isEqualTo(4);
        assertThat(s.referenceTuples()).isEqualTo(4);
        assertThat(s.matchedCandidate()).isEqualTo(3);
        assertThat(s.matchedReference()).isEqualTo(3);
        assertThat(s.f()).isCloseTo(0.75, within(1e-12));
    }

    @Test
    void synonymsMatch() {
        assertThat(score("a man", "a guy").f()).isEqualTo(1.0);
        assertThat(score("a guy", "a man").f()).isEqualTo(1.0);
        assertThat(score("a large circle", "a big circle").f()).isEqualTo(1.0);
        assertThat(score("a man", "a woman").f()).isZero();
        assertThat(score("a red circle", "a blue circle").f()).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void strictSynonymsAreSpice10s() {
        Spice strict = new Spice(spice.parser(), WordNetSynonyms.strict());
        assertThat(strict.score(Set.of(SpiceTuple.object("man")), Set.of(SpiceTuple.object("guy"))).f()).isZero();
        assertThat(strict.score(Set.of(SpiceTuple.attribute("circle", "large")),
                Set.of(SpiceTuple.attribute("circle", "big"))).f()).isEqualTo(1.0);
    }

    @Test
    void emptyAndPunctuationOnlyCaptionsScoreZero() {
        assertThat(tuples("")).isEmpty();
        assertThat(tuples("  ")).isEmpty();
        assertThat(tuples("...")).isEmpty();
        assertThat(tuples("?!, .")).isEmpty();
        assertThat(score("", "a red circle").f()).isZero();
        assertThat(score("...", "a red circle").f()).isZero();
        assertThat(score("a red circle", "", "!!").f()).isZero();
        assertThat(score("", "").f()).isZero();
    }
}

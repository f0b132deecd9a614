package dev.blip2serve.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reference model's greedy captions and answers on shapes-blip2/eval, against the numbers pycocoevalcap
 * and the fixture's own evaluation report (README: CIDEr-D 2.766, BLEU-4 0.495, exact 11.3 %, QA 79.3 %).
 */
class FixtureAcceptanceTest {

    private static EvalFixture fixture;
    private static CaptionScores report;

    @BeforeAll
    static void score() {
        fixture = EvalFixture.load();
        report = CaptionScoring.compute(fixture.references(), fixture.greedyCaptions(), fixture.answers(),
                fixture.greedyAnswers());
        System.out.printf("shapes-blip2 eval: CIDEr-D %.9f BLEU-1 %.9f BLEU-2 %.9f BLEU-3 %.9f BLEU-4 %.9f"
                        + " ROUGE-L %.9f exact %.9f QA %.9f%n",
                report.ciderD().corpus(), report.bleu(1), report.bleu(2), report.bleu(3), report.bleu(4),
                report.rougeL().corpus(), report.exactMatch().corpus(), report.qaAccuracy().corpus());
    }

    @Test
    void ciderDMatchesPycocoevalcap() {
        assertEquals(2.766085, report.ciderD().corpus(), 1e-6);
        assertEquals(300, report.ciderD().perItem().size());
    }

    @Test
    void bleu4MatchesReadme() {
        assertEquals(0.495, report.bleu(4), 1e-3);
    }

    @Test
    void exactMatchReproducesReferenceReport() {
        assertEquals(fixture.hfExactMatch(), report.exactMatch().corpus(), 1e-12);
        assertEquals(34.0 / 300, report.exactMatch().corpus(), 1e-12);
    }

    @Test
    void qaAccuracyReproducesReferenceReport() {
        assertEquals(fixture.hfQaAccuracy(), report.qaAccuracy().corpus(), 1e-12);
        assertEquals(238.0 / 300, report.qaAccuracy().corpus(), 1e-12);
    }
}

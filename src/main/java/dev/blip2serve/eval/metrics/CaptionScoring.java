package dev.blip2serve.eval.metrics;

import java.util.List;
import java.util.Map;

/** Computes every caption metric of this package on one set, tokenising the captions once. */
public final class CaptionScoring {

    private CaptionScoring() {
    }

    /** Caption metrics on raw captions, normalised with {@link PtbTokenizer}; no QA accuracy. */
    public static CaptionScores compute(Map<String, ? extends List<String>> references,
            Map<String, String> candidates) {
        return compute(TokenizedCaptions.ptb(references, candidates));
    }

    /** Caption metrics on raw captions plus QA accuracy of the predicted answers. */
    public static CaptionScores compute(Map<String, ? extends List<String>> references,
            Map<String, String> candidates, Map<String, String> answers, Map<String, String> predictedAnswers) {
        CaptionScores captions = compute(references, candidates);
        return new CaptionScores(captions.ciderD(), captions.bleu(), captions.rougeL(), captions.exactMatch(),
                new QaAccuracy().score(answers, predictedAnswers));
    }

    /** Caption metrics on a tokenised set; no QA accuracy. */
    public static CaptionScores compute(TokenizedCaptions set) {
        return new CaptionScores(new CiderD().score(set), new Bleu().score(set), new RougeL().score(set),
                new ExactMatch().score(set), null);
    }
}

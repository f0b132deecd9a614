package dev.blip2serve.eval.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Short-answer accuracy: an item scores 1 when the normalised prediction equals the normalised answer (or
 * any of the accepted answers), else 0; the corpus value is the fraction of correct items.
 *
 * <p>Normalisation follows the SQuAD evaluation script: lowercase; delete every punctuation or symbol
 * character (Unicode categories P* and S*, a superset of Python's {@code string.punctuation}); drop the
 * articles "a", "an", "the" as whole words; collapse whitespace. So {@code "The Circle."} matches
 * {@code "circle"}, but {@code "2"} does not match {@code "two"} and {@code "grey"} does not match
 * {@code "gray"}.
 */
public final class QaAccuracy {

    private static final Pattern PUNCTUATION = Pattern.compile("[\\p{P}\\p{S}]");
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");

    /** The normalised form of an answer. */
    public static String normalize(String answer) {
        String lower = answer.toLowerCase(Locale.ROOT);
        String noPunctuation = PUNCTUATION.matcher(lower).replaceAll("");
        String noArticles = ARTICLES.matcher(noPunctuation).replaceAll(" ");
        return String.join(" ", TokenizedCaptions.splitWhitespace(noArticles));
    }

    /** Whether a prediction matches an answer after normalisation. */
    public static boolean matches(String prediction, String answer) {
        return normalize(prediction).equals(normalize(answer));
    }

    /** Scores predictions against one answer per item; both maps must have the same ids. */
    public Score score(Map<String, String> answers, Map<String, String> predictions) {
        Map<String, List<String>> accepted = new LinkedHashMap<>();
        answers.forEach((id, answer) -> accepted.put(id, List.of(answer)));
        return scoreAnyOf(accepted, predictions);
    }

    /** Scores predictions against a list of accepted answers per item; both maps must have the same ids. */
    public Score scoreAnyOf(Map<String, ? extends List<String>> acceptedAnswers, Map<String, String> predictions) {
        if (!acceptedAnswers.keySet().equals(predictions.keySet())) {
            throw new IllegalArgumentException("prediction ids differ from answer ids");
        }
        Map<String, Double> perItem = new LinkedHashMap<>();
        acceptedAnswers.forEach((id, answers) -> {
            String prediction = normalize(Objects.requireNonNull(predictions.get(id), id));
            boolean correct = answers.stream().anyMatch(a -> normalize(a).equals(prediction));
            perItem.put(id, correct ? 1.0 : 0.0);
        });
        return Score.ofMean(perItem);
    }
}

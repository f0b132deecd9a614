package dev.blip2serve.eval.spice;

import java.util.List;

/**
 * One scene-graph tuple of SPICE, lemmatized and lower-cased: an object {@code (circle)}, an attribute
 * {@code (circle, red)} or a relation {@code (circle, on, left)}.
 *
 * @param words one, two or three words
 */
public record SpiceTuple(List<String> words) {

    public SpiceTuple {
        if (words.isEmpty() || words.size() > 3) {
            throw new IllegalArgumentException("a SPICE tuple has 1 to 3 words: " + words);
        }
        words = List.copyOf(words);
    }

    public static SpiceTuple object(String object) {
        return new SpiceTuple(List.of(object));
    }

    public static SpiceTuple attribute(String object, String attribute) {
        return new SpiceTuple(List.of(object, attribute));
    }

    public static SpiceTuple relation(String subject, String relation, String object) {
        return new SpiceTuple(List.of(subject, relation, object));
    }

    public int size() {
        return words.size();
    }

    @Override
    public String toString() {
        return "(" + String.join(", ", words) + ")";
    }
}

package dev.blip2serve.serve.openai;

import java.util.List;

/**
 * The request's {@code stop} strings: the text ends right before the first one that appears (it is not included).
 * While streaming, the end of the text that could still become a stop string is held back until it cannot.
 */
final class StopStrings {

    private final List<String> stops;

    StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** Where the text ends: before the earliest stop string, or -1 when none appears. */
    int cut(String text) {
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        return cut;
    }

    String truncate(String text) {
        int cut = cut(text);
        return cut < 0 ? text : text.substring(0, cut);
    }

    /** How much of a text still growing may be shown now: up to a stop string, else all but a possible start of one. */
    int safeLength(String text) {
        int cut = cut(text);
        if (cut >= 0) {
            return cut;
        }
        int hold = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return text.length() - hold;
    }
}

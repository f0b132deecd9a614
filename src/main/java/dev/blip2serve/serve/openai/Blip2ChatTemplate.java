package dev.blip2serve.serve.openai;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders chat turns as the text BLIP-2 continues after the image, as vLLM's BLIP-2 template does: each user turn
 * {@code "Question: <text> "}, each assistant turn {@code "Answer: <text> "}, then {@code "Answer:"}. A conversation
 * without any text is a plain caption: the prompt is empty. System and developer turns have no place in BLIP-2's
 * prompt and are left out. When the rendering is longer than the limit, the oldest turns go first (never the last
 * question).
 */
final class Blip2ChatTemplate {

    /** One turn: {@code user} or {@code assistant}, and its text ("" for an image without words). */
    record Turn(boolean user, String text) {
    }

    private Blip2ChatTemplate() {
    }

    /** @return the prompt, or null when even the last question alone is longer than {@code maxChars} */
    static String render(List<Turn> turns, int maxChars) {
        List<Turn> kept = new ArrayList<>(turns);
        while (true) {
            String prompt = renderAll(kept);
            if (prompt.length() <= maxChars) {
                return prompt;
            }
            if (kept.size() <= 1) {
                return null;
            }
            kept.removeFirst();
        }
    }

    private static String renderAll(List<Turn> turns) {
        boolean anyText = turns.stream().anyMatch(t -> !t.text().isBlank());
        if (!anyText) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (Turn t : turns) {
            if (t.text().isBlank()) {
                continue; // the image-only turn: the image itself is the prefix
            }
            out.append(t.user() ? "Question: " : "Answer: ").append(t.text().strip()).append(' ');
        }
        return out.append("Answer:").toString();
    }
}

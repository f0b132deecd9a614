package dev.blip2serve.serve.openai;

import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.generation.TokenLogprob;
import dev.blip2serve.serve.model.CaptionModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A choice's {@code logprobs.content}. A token's {@code token} text is what it adds to the decoded text so far
 * (byte-level BPE tokens are not text on their own); entries stop where a stop string cut the text.
 */
final class Logprobs {

    private Logprobs() {
    }

    static ChatCompletion.Logprobs of(CaptionModel model, CaptionText caption, String shownText) {
        List<ChatCompletion.TokenLogprob> content = new ArrayList<>();
        long[] tokens = caption.tokens();
        String before = "";
        for (int i = 0; i < caption.steps().size() && before.length() < shownText.length(); i++) {
            TokenLogprob step = caption.steps().get(i);
            long[] prefix = Arrays.copyOf(tokens, i);
            String after = model.decode(Arrays.copyOf(tokens, i + 1));
            List<ChatCompletion.TopLogprob> top = new ArrayList<>();
            for (int k = 0; k < step.topTokens().length; k++) {
                long[] alternative = Arrays.copyOf(prefix, i + 1);
                alternative[i] = step.topTokens()[k];
                String text = added(before, model.decode(alternative));
                top.add(new ChatCompletion.TopLogprob(text, step.topLogprobs()[k], bytes(text)));
            }
            String text = added(before, after);
            content.add(new ChatCompletion.TokenLogprob(text, step.logprob(), bytes(text), top));
            before = after;
        }
        return new ChatCompletion.Logprobs(content);
    }

    private static String added(String before, String after) {
        return after.startsWith(before) ? after.substring(before.length()) : after;
    }

    private static List<Integer> bytes(String text) {
        List<Integer> out = new ArrayList<>();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.add(b & 0xff);
        }
        return out;
    }
}

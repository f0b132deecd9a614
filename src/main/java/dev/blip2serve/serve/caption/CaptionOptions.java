package dev.blip2serve.serve.caption;

import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.web.ApiException;
import java.util.List;
import java.util.function.Function;

/**
 * The parameters of one caption request, checked against the limits. Every form (query string, multipart form
 * fields, JSON members) arrives as strings through one parser, so all forms share names, defaults and messages.
 *
 * @param model             repository model (default {@code blip2.default-model})
 * @param precision         variant name (default {@code blip2.default-precision})
 * @param prompt            text after the image; "" captions, "Question: ... Answer:" asks
 * @param maxNewTokens      1..{@code blip2.limits.max-new-tokens}
 * @param minNewTokens      0..maxNewTokens
 * @param numBeams          1 (greedy)..{@code blip2.limits.max-beams}; defaults to numCaptions
 * @param numCaptions       n-best, 1..numBeams
 * @param repetitionPenalty positive; 1 = off
 * @param deadlineMs        the request is answered 503 {@code deadline-exceeded} if not done by then;
 *                          1..{@code blip2.batching.deadline} (the default)
 */
public record CaptionOptions(String model, String precision, String prompt, int maxNewTokens, int minNewTokens,
                             int numBeams, int numCaptions, double repetitionPenalty, int deadlineMs) {

    /** The parameter names, as clients spell them. */
    public static final List<String> NAMES = List.of("model", "precision", "prompt", "max_new_tokens",
            "min_new_tokens", "num_beams", "num_captions", "repetition_penalty", "deadline_ms");

    private static final int MAX_NAME_CHARS = 128;

    /**
     * @param source a parameter's value by name, null when absent
     * @throws ApiException 400 naming the first parameter at fault
     */
    public static CaptionOptions parse(Function<String, String> source, ServeProperties properties) {
        ServeProperties.Limits limits = properties.limits();
        String model = name(source, "model", properties.defaultModel());
        String precision = name(source, "precision", properties.defaultPrecision());
        if (precision.indexOf(',') >= 0) {
            throw ApiException.invalidParameter("precision", "one precision per caption; to caption with several, "
                    + "POST the image to /v1/captions:compare with precisions=" + clip(precision));
        }
        String prompt = source.apply("prompt");
        prompt = prompt == null ? "" : prompt;
        if (prompt.length() > limits.maxPromptChars()) {
            throw ApiException.invalidParameter("prompt", "prompt has " + prompt.length()
                    + " characters, more than the limit of " + limits.maxPromptChars());
        }
        int maxNew = integer(source, "max_new_tokens", Math.min(properties.defaultMaxNewTokens(), limits.maxNewTokens()),
                1, limits.maxNewTokens());
        int minNew = integer(source, "min_new_tokens", 0, 0, maxNew);
        int captions = integer(source, "num_captions", 1, 1, limits.maxBeams());
        // Asking for n captions without naming beams means "search wide enough to return n".
        int beams = integer(source, "num_beams", captions, 1, limits.maxBeams());
        if (captions > beams) {
            throw ApiException.invalidParameter("num_captions", "num_captions (" + captions
                    + ") must not exceed num_beams (" + beams + ")");
        }
        double penalty = positive(source, "repetition_penalty", 1.0);
        int maxDeadline = (int) Math.min(Integer.MAX_VALUE, properties.batching().deadline().toMillis());
        int deadline = integer(source, "deadline_ms", maxDeadline, 1, maxDeadline);
        return new CaptionOptions(model, precision, prompt, maxNew, minNew, beams, captions, penalty, deadline);
    }

    /** What these options ask of the generator; the length penalty is the checkpoint's, as on the CLI. */
    public GenerationRequest generationRequest() {
        return new GenerationRequest(maxNewTokens, minNewTokens, numBeams, numCaptions, null, repetitionPenalty, false);
    }

    private static String name(Function<String, String> source, String param, String fallback) {
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        v = v.strip();
        if (v.length() > MAX_NAME_CHARS) {
            throw ApiException.invalidParameter(param, param + " is longer than " + MAX_NAME_CHARS + " characters");
        }
        return v;
    }

    private static int integer(Function<String, String> source, String param, int fallback, int min, int max) {
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        int n;
        try {
            n = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalidParameter(param, param + " must be an integer, got '" + clip(v) + "'");
        }
        if (n < min || n > max) {
            throw ApiException.invalidParameter(param, param + " must be between " + min + " and " + max + ", got " + n)
                    .with("minimum", min).with("maximum", max);
        }
        return n;
    }

    private static double positive(Function<String, String> source, String param, double fallback) {
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        double d;
        try {
            d = Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalidParameter(param, param + " must be a number, got '" + clip(v) + "'");
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw ApiException.invalidParameter(param, param + " must be a positive finite number, got " + clip(v));
        }
        return d;
    }

    private static String clip(String v) {
        return v.length() <= 40 ? v : v.substring(0, 40) + "...";
    }
}

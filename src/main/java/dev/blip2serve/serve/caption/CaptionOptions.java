package dev.blip2serve.serve.caption;

import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.serve.ServeProperties;
import dev.blip2serve.serve.web.ApiException;
import java.util.List;
import java.util.Map;
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
    public static final List<String> NAMES = CaptionParameter.NAMES;

    private static final int MAX_NAME_CHARS = 128;

    /**
     * @param source a parameter's value by name, null when absent
     * @throws ApiException 400 naming the first parameter at fault
     */
    public static CaptionOptions parse(Function<String, String> source, ServeProperties properties) {
        Map<String, CaptionParameter> spec = CaptionParameter.all(properties);
        String model = name(source, spec.get("model"));
        String precision = name(source, spec.get("precision"));
        if (precision.indexOf(',') >= 0) {
            throw ApiException.invalidParameter("precision", "one precision per caption; to caption with several, "
                    + "POST the image to /v1/captions:compare with precisions=" + clip(precision));
        }
        CaptionParameter promptSpec = spec.get("prompt");
        String prompt = source.apply(promptSpec.name());
        prompt = prompt == null ? (String) promptSpec.defaultValue() : prompt;
        int maxPromptChars = promptSpec.maximum().intValue();
        if (prompt.length() > maxPromptChars) {
            throw ApiException.invalidParameter("prompt", "prompt has " + prompt.length()
                    + " characters, more than the limit of " + maxPromptChars);
        }
        int maxNew = integer(source, spec.get("max_new_tokens"), null, null);
        int minNew = integer(source, spec.get("min_new_tokens"), null, maxNew);
        int captions = integer(source, spec.get("num_captions"), null, null);
        // Asking for n captions without naming beams means "search wide enough to return n".
        int beams = integer(source, spec.get("num_beams"), captions, null);
        if (captions > beams) {
            throw ApiException.invalidParameter("num_captions", "num_captions (" + captions
                    + ") must not exceed num_beams (" + beams + ")");
        }
        double penalty = positive(source, spec.get("repetition_penalty"));
        int deadline = integer(source, spec.get("deadline_ms"), null, null);
        return new CaptionOptions(model, precision, prompt, maxNew, minNew, beams, captions, penalty, deadline);
    }

    /** What these options ask of the generator; the length penalty is the checkpoint's, as on the CLI. */
    public GenerationRequest generationRequest() {
        return new GenerationRequest(maxNewTokens, minNewTokens, numBeams, numCaptions, null, repetitionPenalty, false);
    }

    private static String name(Function<String, String> source, CaptionParameter spec) {
        String param = spec.name();
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return (String) spec.defaultValue();
        }
        v = v.strip();
        if (v.length() > MAX_NAME_CHARS) {
            throw ApiException.invalidParameter(param, param + " is longer than " + MAX_NAME_CHARS + " characters");
        }
        return v;
    }

    /**
     * @param fallback where the parameter's default depends on another one (else the spec's default)
     * @param maximum  where another parameter lowers the spec's maximum
     */
    private static int integer(Function<String, String> source, CaptionParameter spec, Integer fallback, Integer maximum) {
        String param = spec.name();
        int min = spec.minimum().intValue();
        int max = maximum != null ? maximum : spec.maximum().intValue();
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return fallback != null ? fallback : (Integer) spec.defaultValue();
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

    private static double positive(Function<String, String> source, CaptionParameter spec) {
        String param = spec.name();
        String v = source.apply(param);
        if (v == null || v.isBlank()) {
            return (Double) spec.defaultValue();
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

package dev.blip2serve.serve.slice;

import java.util.List;

/**
 * Bodies sent as {@code application/json} that every JSON route refuses with the same words
 * ({@code serve.web.JsonBody}), whatever shape its errors take.
 */
final class NoJsonObjectBodies {

    /**
     * @param body         what is sent
     * @param detailPrefix how the refusal's text begins
     */
    record Case(String body, String detailPrefix) {
    }

    static final List<Case> ALL = List.of(
            new Case("{\"image\":", "the body is not valid JSON: "),
            new Case("[1, 2]", "the body must be a JSON object"),
            new Case("null", "the body must be a JSON object"));

    /** How a 413 for a JSON body over the limit begins. */
    static final String TOO_LARGE_PREFIX = "the JSON body is larger than the limit";

    private NoJsonObjectBodies() {
    }
}

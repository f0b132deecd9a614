package dev.blip2serve.serve.web;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JSON request body as a tree, for the routes that take one ({@code /v1/captions} and its kin as JSON,
 * {@code /v1/chat/completions}). The bytes come from {@link BoundedBody}, so their size is already bounded; this
 * class answers the two refusals every JSON route shares with the same words, and each route's error handler gives
 * them its own shape (problem+json, or OpenAI's error object).
 */
public final class JsonBody {

    /** What a 413 calls a JSON body that is over the limit. */
    public static final String WHAT = "the JSON body";

    /** How much of Jackson's complaint a 400 repeats. */
    private static final int MAX_REASON = 200;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonBody() {
    }

    /**
     * The body's top-level object.
     *
     * @throws ApiException 400 {@code invalid-request}: not JSON (with Jackson's reason, cut at 200 characters), or
     *                      JSON that is not an object
     */
    public static JsonNode object(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            String why = String.valueOf(e.getOriginalMessage());
            throw new ApiException(ProblemType.INVALID_REQUEST, "the body is not valid JSON: "
                    + (why.length() > MAX_REASON ? why.substring(0, MAX_REASON) + "..." : why));
        }
        if (root == null || !root.isObject()) {
            throw new ApiException(ProblemType.INVALID_REQUEST, "the body must be a JSON object");
        }
        return root;
    }
}

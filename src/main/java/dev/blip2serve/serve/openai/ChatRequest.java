package dev.blip2serve.serve.openai;

import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.JsonBody;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * A {@code POST /v1/chat/completions} body, checked member by member so that every refusal names OpenAI's
 * parameter ({@code param} of the error). Ranges that depend on the service's limits are checked by
 * {@link ChatCompletionsController}.
 *
 * @param model            {@code <model>:<precision>} or a bare model name, as sent
 * @param turns            the user and assistant turns, in order
 * @param image            the one image: a {@code data:} URL or a remote URL
 * @param imageParam       where the image was, for errors ({@code messages[0].content[1].image_url.url})
 * @param maxTokens        {@code max_completion_tokens} or {@code max_tokens}; null when absent
 * @param n                choices to return
 * @param temperature      null or 0: the most likely tokens
 * @param topP             null: 1
 * @param seed             null: a random seed
 * @param stop             up to 4 strings; the text ends before the first that appears
 * @param logprobs         per-token log-probabilities in the choices
 * @param topLogprobs      alternatives per token (0..20), null when absent
 * @param stream           answer as Server-Sent Events
 * @param includeUsage     {@code stream_options.include_usage}
 */
record ChatRequest(String model, List<Blip2ChatTemplate.Turn> turns, String image, String imageParam,
                   Integer maxTokens, int n, Double temperature, Double topP, Long seed, List<String> stop,
                   boolean logprobs, Integer topLogprobs, boolean stream, boolean includeUsage) {

    /** Accepted and without effect here (bookkeeping members SDKs send). */
    private static final Set<String> IGNORED = Set.of("user", "metadata", "store", "service_tier", "parallel_tool_calls");
    private static final Set<String> KNOWN = Set.of("model", "messages", "max_tokens", "max_completion_tokens", "n",
            "temperature", "top_p", "seed", "stop", "logprobs", "top_logprobs", "stream", "stream_options",
            "frequency_penalty", "presence_penalty");
    static final int MAX_STOP = 4;
    static final int MAX_TOP_LOGPROBS = 20;

    static ChatRequest parse(byte[] body) {
        JsonNode root = JsonBody.object(body);
        for (Map.Entry<String, JsonNode> m : root.properties()) {
            if (!KNOWN.contains(m.getKey()) && !IGNORED.contains(m.getKey())) {
                throw bad(m.getKey(), "unrecognized request argument '" + m.getKey() + "'; this service takes: "
                        + String.join(", ", KNOWN.stream().sorted().toList()));
            }
        }
        String model = string(root, "model");
        if (model == null || model.isBlank()) {
            throw bad("model", "model is required: '<model>:<precision>' (e.g. shapes-blip2:fp16) or a model name "
                    + "for its default precision; GET /v1/models lists them");
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            Double v = number(root, penalty);
            if (v != null && v != 0) {
                throw bad(penalty, penalty + " is not supported (only 0); repetition is not penalized here");
            }
        }
        Messages messages = messages(root.get("messages"));
        Integer maxCompletion = integer(root, "max_completion_tokens");
        Integer maxTokens = integer(root, "max_tokens");
        if (maxCompletion != null && maxTokens != null && !maxCompletion.equals(maxTokens)) {
            throw bad("max_tokens", "max_tokens (" + maxTokens + ") and max_completion_tokens (" + maxCompletion
                    + ") differ; send one of them");
        }
        Integer n = integer(root, "n");
        Double temperature = number(root, "temperature");
        if (temperature != null && (temperature < 0 || temperature > 2)) {
            throw bad("temperature", "temperature must be between 0 and 2, got " + temperature);
        }
        Double topP = number(root, "top_p");
        if (topP != null && (topP < 0 || topP > 1)) {
            throw bad("top_p", "top_p must be between 0 and 1, got " + topP);
        }
        JsonNode seedNode = root.get("seed");
        Long seed = null;
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
                throw bad("seed", "seed must be an integer");
            }
            seed = seedNode.asLong();
        }
        Boolean logprobs = bool(root, "logprobs");
        Integer top = integer(root, "top_logprobs");
        if (top != null && (top < 0 || top > MAX_TOP_LOGPROBS)) {
            throw bad("top_logprobs", "top_logprobs must be between 0 and " + MAX_TOP_LOGPROBS + ", got " + top);
        }
        if (top != null && !Boolean.TRUE.equals(logprobs)) {
            throw bad("top_logprobs", "top_logprobs needs logprobs: true");
        }
        Boolean stream = bool(root, "stream");
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!Boolean.TRUE.equals(stream)) {
                throw bad("stream_options", "stream_options is only allowed with stream: true");
            }
            if (!options.isObject()) {
                throw bad("stream_options", "stream_options must be an object");
            }
            for (Map.Entry<String, JsonNode> m : options.properties()) {
                if (!m.getKey().equals("include_usage") && !m.getKey().equals("include_obfuscation")) {
                    throw bad("stream_options." + m.getKey(), "unrecognized stream option '" + m.getKey() + "'");
                }
            }
            Boolean usage = bool(options, "include_usage");
            includeUsage = Boolean.TRUE.equals(usage);
        }
        return new ChatRequest(model.strip(), messages.turns(), messages.image(), messages.imageParam(),
                maxCompletion != null ? maxCompletion : maxTokens, n == null ? 1 : n, temperature, topP, seed,
                stop(root.get("stop")), Boolean.TRUE.equals(logprobs), top, Boolean.TRUE.equals(stream), includeUsage);
    }

    /** Sampling is asked for: a positive temperature. */
    boolean samples() {
        return temperature != null && temperature > 0;
    }

    // ------------------------------------------------------------------ messages

    private record Messages(List<Blip2ChatTemplate.Turn> turns, String image, String imageParam) {
    }

    private static Messages messages(JsonNode messages) {
        if (messages == null || messages.isNull()) {
            throw bad("messages", "messages is required: a list with a user message holding the image");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw bad("messages", "messages must be a non-empty list");
        }
        List<Blip2ChatTemplate.Turn> turns = new ArrayList<>();
        List<String> images = new ArrayList<>();
        List<String> imageParams = new ArrayList<>();
        String lastRole = null;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw bad(at, at + " must be an object with role and content");
            }
            String role = string(m, "role", at + ".role");
            if (role == null) {
                throw bad(at + ".role", at + ".role is required");
            }
            switch (role) {
                case "system", "developer" -> text(m.get("content"), at + ".content", null, null);
                case "user" -> turns.add(new Blip2ChatTemplate.Turn(true,
                        text(m.get("content"), at + ".content", images, imageParams)));
                case "assistant" -> turns.add(new Blip2ChatTemplate.Turn(false,
                        text(m.get("content"), at + ".content", null, null)));
                default -> throw bad(at + ".role", "role '" + role + "' is not supported here: use system, "
                        + "developer, user or assistant (this model calls no tools)");
            }
            lastRole = role;
        }
        if (!"user".equals(lastRole)) {
            throw bad("messages", "the last message must be the user's (the question, or the image to caption)");
        }
        if (images.isEmpty()) {
            throw bad("messages", "no image: BLIP-2 captions or answers about one image; add a content part "
                    + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,...\"}} to a user message");
        }
        if (images.size() > 1) {
            throw bad(imageParams.get(1), "this model takes exactly one image per request, the request has "
                    + images.size() + "; send one request per image");
        }
        return new Messages(turns, images.getFirst(), imageParams.getFirst());
    }

    /**
     * The text of a message's content: a string, or the text parts of a list joined by spaces; image parts go to
     * {@code images} (null: images are not allowed in this role).
     */
    private static String text(JsonNode content, String at, List<String> images, List<String> imageParams) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.asString();
        }
        if (!content.isArray()) {
            throw bad(at, at + " must be a string or a list of content parts");
        }
        List<String> texts = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            String partAt = at + "[" + j + "]";
            JsonNode part = content.get(j);
            if (!part.isObject()) {
                throw bad(partAt, partAt + " must be an object with a type");
            }
            String type = string(part, "type", partAt + ".type");
            if ("text".equals(type)) {
                String t = string(part, "text", partAt + ".text");
                if (t == null) {
                    throw bad(partAt + ".text", partAt + ".text is required for a text part");
                }
                texts.add(t);
            } else if ("image_url".equals(type)) {
                if (images == null) {
                    throw bad(partAt, "images belong in user messages, not in " + at);
                }
                JsonNode imageUrl = part.get("image_url");
                String url = imageUrl == null ? null : imageUrl.isString() ? imageUrl.asString()
                        : string(imageUrl, "url", partAt + ".image_url.url");
                if (url == null || url.isBlank()) {
                    throw bad(partAt + ".image_url.url", partAt + ".image_url.url is required");
                }
                if (imageUrl.isObject()) {
                    String detail = string(imageUrl, "detail", partAt + ".image_url.detail");
                    if (detail != null && !Set.of("auto", "low", "high").contains(detail)) {
                        throw bad(partAt + ".image_url.detail", "detail must be auto, low or high");
                    }
                }
                images.add(url);
                imageParams.add(partAt + ".image_url.url");
            } else {
                throw bad(partAt + ".type", "content part type '" + type + "' is not supported: use text or image_url");
            }
        }
        return String.join(" ", texts);
    }

    // ------------------------------------------------------------------ members

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stop.isString()) {
            out.add(stop.asString());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isString()) {
                    throw bad("stop", "stop must be a string or a list of strings");
                }
                out.add(s.asString());
            }
        } else {
            throw bad("stop", "stop must be a string or a list of strings");
        }
        if (out.size() > MAX_STOP) {
            throw bad("stop", "stop takes at most " + MAX_STOP + " strings, got " + out.size());
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw bad("stop", "a stop string must not be empty");
        }
        return List.copyOf(out);
    }

    private static String string(JsonNode node, String name) {
        return string(node, name, name);
    }

    private static String string(JsonNode node, String name, String param) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isString()) {
            throw bad(param, param + " must be a string");
        }
        return v.asString();
    }

    private static Integer integer(JsonNode node, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(name, name + " must be an integer");
        }
        return v.asInt();
    }

    private static Double number(JsonNode node, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw bad(name, name + " must be a number");
        }
        return v.asDouble();
    }

    private static Boolean bool(JsonNode node, String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw bad(name, name + " must be true or false");
        }
        return v.asBoolean();
    }

    static ApiException bad(String param, String detail) {
        return ApiException.invalidParameter(param, detail);
    }
}

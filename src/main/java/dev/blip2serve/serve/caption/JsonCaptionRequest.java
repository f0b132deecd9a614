package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.JsonBody;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The JSON form of {@code POST /v1/captions}: {@code {"image": "<base64 or data URL>", "precision": "fp16",
 * "max_new_tokens": 20, ...}}. Members are read as strings so that {@link CaptionOptions} validates every form
 * alike; an unknown member is an error, since a JSON client that misspells a parameter wants to know.
 *
 * @param image  the {@code image} member, or null
 * @param fields the other members as strings
 */
record JsonCaptionRequest(String image, Map<String, String> fields) {

    static JsonCaptionRequest parse(byte[] body) {
        return parse(body, CaptionOptions.NAMES);
    }

    /** @param names the members besides {@code image} that this endpoint takes */
    static JsonCaptionRequest parse(byte[] body, List<String> names) {
        JsonNode root = JsonBody.object(body);
        String image = null;
        Map<String, String> fields = new HashMap<>();
        for (Map.Entry<String, JsonNode> member : root.properties()) {
            String name = member.getKey();
            JsonNode value = member.getValue();
            if (value.isNull()) {
                continue;
            }
            if (!name.equals("image") && !names.contains(name)) {
                throw ApiException.invalidParameter(name, "unknown member '" + name + "'; known: image, "
                        + String.join(", ", names));
            }
            if (value.isArray() && name.equals(CompareOptions.PRECISIONS)) {
                List<String> items = new java.util.ArrayList<>();
                for (JsonNode item : value) {
                    if (!item.isString()) {
                        throw ApiException.invalidParameter(name, name + " must be a list of strings or one comma-separated string");
                    }
                    items.add(item.asString());
                }
                fields.put(name, String.join(",", items));
                continue;
            }
            if (!value.isValueNode()) {
                throw ApiException.invalidParameter(name, name + " must be a string or a number");
            }
            if (name.equals("image")) {
                if (!value.isString()) {
                    throw ApiException.invalidParameter(name, "image must be a string: base64 or a data URL");
                }
                image = value.asString();
            } else {
                fields.put(name, value.asString());
            }
        }
        return new JsonCaptionRequest(image, fields);
    }
}

package dev.blip2serve.serve.caption;

import dev.blip2serve.serve.web.ApiException;
import dev.blip2serve.serve.web.ProblemType;
import java.util.Base64;
import java.util.Locale;

/** Decodes the JSON form's {@code image}: plain base64 (standard or URL-safe) or a base64 {@code data:} URL. */
public final class ImagePayload {

    private ImagePayload() {
    }

    /**
     * @throws ApiException 400 when absent, 413 over {@code limit} bytes, 415 for a non-image data URL,
     *                      422 when it is not base64
     */
    public static byte[] decode(String value, long limit) {
        if (value == null || value.isBlank()) {
            throw ApiException.invalidParameter("image", "image is required: base64 or a data URL");
        }
        String data = value.strip();
        if (data.regionMatches(true, 0, "data:", 0, 5)) {
            int comma = data.indexOf(',');
            if (comma < 0) {
                throw new ApiException(ProblemType.INVALID_IMAGE, "image data URL has no ',' before its data");
            }
            String meta = data.substring(5, comma).toLowerCase(Locale.ROOT);
            if (!meta.endsWith(";base64")) {
                throw new ApiException(ProblemType.INVALID_IMAGE, "image data URL must be base64-encoded (';base64')");
            }
            String mediaType = meta.substring(0, meta.length() - ";base64".length());
            if (!mediaType.isEmpty() && !mediaType.startsWith("image/") && !mediaType.equals("application/octet-stream")) {
                throw new ApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "image data URL has media type '" + mediaType
                        + "'; send an image/* one");
            }
            data = data.substring(comma + 1);
        }
        // Refuse by size before allocating the decoded bytes.
        if ((long) data.length() / 4 * 3 > limit + 3) {
            throw ApiException.tooLarge("the image", limit);
        }
        String compact = data.indexOf('\n') >= 0 || data.indexOf(' ') >= 0 || data.indexOf('\r') >= 0
                ? data.replaceAll("\\s+", "") : data;
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException standard) {
            try {
                bytes = Base64.getUrlDecoder().decode(compact);
            } catch (IllegalArgumentException urlSafe) {
                throw new ApiException(ProblemType.INVALID_IMAGE, "image is not valid base64");
            }
        }
        if (bytes.length > limit) {
            throw ApiException.tooLarge("the image", limit);
        }
        return bytes;
    }
}

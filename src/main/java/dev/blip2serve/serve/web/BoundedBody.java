package dev.blip2serve.serve.web;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body with an upper bound. A declared {@code Content-Length} over the limit is refused before
 * reading a byte; a chunked body is read up to one byte past the limit, so no client can make the service buffer
 * more than the limit.
 */
public final class BoundedBody {

    private BoundedBody() {
    }

    /**
     * @throws ApiException 413 when the body is larger than {@code limit}; 400 when it cannot be read
     */
    public static byte[] read(HttpServletRequest request, long limit, String what) {
        int cap = (int) Math.min(limit, Integer.MAX_VALUE - 16);
        if (request.getContentLengthLong() > cap) {
            throw ApiException.tooLarge(what, cap);
        }
        try (InputStream in = request.getInputStream()) {
            byte[] data = in.readNBytes(cap + 1);
            if (data.length > cap) {
                throw ApiException.tooLarge(what, cap);
            }
            return data;
        } catch (IOException e) {
            throw new ApiException(ProblemType.INVALID_REQUEST, "the request body could not be read");
        }
    }
}

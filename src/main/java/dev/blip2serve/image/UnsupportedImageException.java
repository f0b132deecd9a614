package dev.blip2serve.image;

import java.io.Serial;

/**
 * A recognized image format this installation cannot decode (HEIC or AVIF without libheif or without its codec):
 * the service answers 415, not 422, since the same bytes would work elsewhere and another format works here.
 */
public class UnsupportedImageException extends ImageException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a one-line message. */
    public UnsupportedImageException(String message) {
        super(message);
    }
}

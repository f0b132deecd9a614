package dev.blip2serve.image;

import java.io.Serial;

/**
 * An image could not be decoded or preprocessed, or a processor configuration is invalid.
 *
 * <p>Unchecked on purpose: bad input is a client error that the serving layer maps to one response,
 * and batch code can pass images through lambdas. The message is always one line and safe to show to
 * a client (it never contains pixel data or file contents).
 */
public class ImageException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a one-line message. */
    public ImageException(String message) {
        super(oneLine(message));
    }

    /** Creates an exception with a one-line message and the underlying cause (kept for logs). */
    public ImageException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message == null ? "image error" : message.replaceAll("[\\r\\n]+", " ").strip();
    }
}

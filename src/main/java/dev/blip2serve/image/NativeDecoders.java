package dev.blip2serve.image;

/**
 * Which of the native decoders this process found, in one line for the start-up log: without them the service still
 * decodes JPEG and WebP (Java decoders, slower; JPEG 4:4:0 and arithmetic coding differ or fail) but answers HEIC and
 * AVIF with 415, and an operator should see that at once rather than from a client's error.
 */
public final class NativeDecoders {

    private NativeDecoders() {
    }

    /** E.g. {@code JPEG libturbojpeg.so.0, WebP libwebp, HEIC/AVIF libheif 1.15.1, resize SIMD (...)}. */
    public static String summary() {
        String jpeg = TurboJpeg.system().map(t -> "JPEG " + t.library())
                .orElse("JPEG Java decoder (libturbojpeg0 not installed)");
        String webp = LibWebp.system().isPresent() ? "WebP libwebp" : "WebP Java decoder (libwebp7 not installed)";
        String heif = LibHeif.system().map(h -> "HEIC/AVIF libheif " + h.version())
                .orElse("HEIC/AVIF refused with 415 (libheif1 not installed)");
        return jpeg + ", " + webp + ", " + heif + ", resize " + SeparableResampler.describe();
    }
}

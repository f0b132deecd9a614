package dev.blip2serve.image;

import java.util.Objects;

/**
 * A decoded image as 8-bit RGB, what PIL's {@code Image.convert("RGB")} would hold, plus where it came from.
 *
 * <p>The pixel array is shared, not copied (images can be large): treat it as read-only.
 *
 * @param rgb            pixels, {@code [height][width][3]} flattened row-major, R G B unsigned bytes
 * @param width          pixel width (after EXIF orientation)
 * @param height         pixel height (after EXIF orientation)
 * @param format         lower-case container format: {@code jpeg}, {@code png}, {@code gif}, {@code bmp},
 *                       {@code webp}; or whatever a caller that builds one in memory chooses
 * @param originalWidth  width as declared in the file (before EXIF orientation)
 * @param originalHeight height as declared in the file (before EXIF orientation)
 * @param orientation    EXIF orientation that was applied, 1 (none) to 8
 */
public record DecodedImage(byte[] rgb, int width, int height, String format,
                           int originalWidth, int originalHeight, int orientation) {

    /** Checks that the buffer matches the size. */
    public DecodedImage {
        Objects.requireNonNull(rgb, "rgb");
        Objects.requireNonNull(format, "format");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("rgb has " + rgb.length + " bytes, expected " + width + "x"
                    + height + "x3");
        }
        if (orientation < 1 || orientation > 8) {
            throw new IllegalArgumentException("orientation must be 1..8, got " + orientation);
        }
    }

    /** An in-memory RGB image (no container, no orientation). */
    public static DecodedImage ofRgb(byte[] rgb, int width, int height) {
        return new DecodedImage(rgb, width, height, "raw", width, height, 1);
    }

    /** Red, green, blue of one pixel as 0..255 ints. */
    public int[] pixel(int x, int y) {
        Objects.checkIndex(x, width);
        Objects.checkIndex(y, height);
        int i = (y * width + x) * 3;
        return new int[] {rgb[i] & 0xff, rgb[i + 1] & 0xff, rgb[i + 2] & 0xff};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedImage d && width == d.width && height == d.height
                && originalWidth == d.originalWidth && originalHeight == d.originalHeight
                && orientation == d.orientation && format.equals(d.format) && java.util.Arrays.equals(rgb, d.rgb);
    }

    @Override
    public int hashCode() {
        return Objects.hash(width, height, format, java.util.Arrays.hashCode(rgb));
    }

    @Override
    public String toString() {
        return "DecodedImage[" + format + " " + width + "x" + height + ", original " + originalWidth + "x"
                + originalHeight + ", orientation " + orientation + "]";
    }
}

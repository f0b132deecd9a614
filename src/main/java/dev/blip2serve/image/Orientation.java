package dev.blip2serve.image;

/**
 * EXIF orientation (tag 0x0112) applied to an RGB buffer, with the transposes PIL's
 * {@code ImageOps.exif_transpose} uses: 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom,
 * 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
final class Orientation {

    private Orientation() {
    }

    /**
     * @param rgb         interleaved RGB, {@code [height][width][3]}
     * @param orientation 1..8 (1: unchanged)
     * @return the oriented image; its {@code originalWidth/Height} are the given {@code width/height}
     */
    static DecodedImage apply(byte[] rgb, int width, int height, int orientation, String format) {
        if (orientation == 1) {
            return new DecodedImage(rgb, width, height, format, width, height, 1);
        }
        boolean swap = orientation >= 5; // 5..8 exchange width and height
        int ow = swap ? height : width;
        int oh = swap ? width : height;
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // (sx, sy): the source pixel shown at output (x, y)
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = width - 1 - x; sy = y; }
                    case 3 -> { sx = width - 1 - x; sy = height - 1 - y; }
                    case 4 -> { sx = x; sy = height - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = height - 1 - x; }
                    case 7 -> { sx = width - 1 - y; sy = height - 1 - x; }
                    case 8 -> { sx = width - 1 - y; sy = x; }
                    default -> throw new IllegalArgumentException("orientation must be 1..8, got " + orientation);
                }
                int s = (sy * width + sx) * 3;
                int o = (y * ow + x) * 3;
                out[o] = rgb[s];
                out[o + 1] = rgb[s + 1];
                out[o + 2] = rgb[s + 2];
            }
        }
        return new DecodedImage(out, ow, oh, format, width, height, orientation);
    }
}

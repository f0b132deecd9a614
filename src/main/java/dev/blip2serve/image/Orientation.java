package dev.blip2serve.image;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * EXIF orientation (tag 0x0112) applied to an RGB buffer, with the transposes PIL's
 * {@code ImageOps.exif_transpose} uses: 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom,
 * 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 *
 * <p>Every orientation is an affine walk over the source: output pixel {@code (x, y)} shows source pixel
 * {@code start + x * stepX + y * stepY}. The copy goes in square tiles so that the column walks of 5..8 touch
 * a few cache lines per source row instead of one per pixel, moves a pixel as one 4-byte word and splits a large
 * image over the common pool: a 12 MP photo takes 13–20 ms on two cores, 48–51 ms pixel by pixel, row by row
 * (docs/benchmarks/image-decode.md).
 */
final class Orientation {

    /** Tile side in pixels: 64 source rows of 64 RGB pixels (12 KiB) stay in L1 while a tile is copied. */
    static final int TILE = 64;

    /** Images below this many bytes are copied on the calling thread. */
    private static final int PARALLEL_BYTES = 3 << 20;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

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
        int last = width - 1;
        int bottom = (height - 1) * width;
        // source pixel index of output (0, 0), and its change per output column and per output row
        int start;
        int stepX;
        int stepY;
        switch (orientation) {
            case 2 -> { start = last; stepX = -1; stepY = width; }
            case 3 -> { start = bottom + last; stepX = -1; stepY = -width; }
            case 4 -> { start = bottom; stepX = 1; stepY = -width; }
            case 5 -> { start = 0; stepX = width; stepY = 1; }
            case 6 -> { start = bottom; stepX = -width; stepY = 1; }
            case 7 -> { start = bottom + last; stepX = -width; stepY = -1; }
            case 8 -> { start = last; stepX = width; stepY = -1; }
            default -> throw new IllegalArgumentException("orientation must be 1..8, got " + orientation);
        }
        byte[] out = new byte[rgb.length];
        int step = stepX * 3;
        int tileRows = (oh + TILE - 1) / TILE;
        IntConsumer band = t -> {
            int yEnd = Math.min(t * TILE + TILE, oh);
            for (int tx = 0; tx < ow; tx += TILE) {
                int n = Math.min(TILE, ow - tx);
                for (int y = t * TILE; y < yEnd; y++) {
                    copyRun(rgb, (start + tx * stepX + y * stepY) * 3, step, out, (y * ow + tx) * 3, n);
                }
            }
        };
        IntStream bands = IntStream.range(0, tileRows);
        // like the resize: one large photo's copy (~23 ms for 12 MP on one core) is split over the common pool
        (rgb.length >= PARALLEL_BYTES ? bands.parallel() : bands).forEach(band);
        return new DecodedImage(out, ow, oh, format, width, height, orientation);
    }

    /**
     * {@code n} RGB pixels from {@code src[s]} on, {@code step} bytes apart, to {@code dst[o]} on, contiguous. All but
     * the run's last pixel move as 4 bytes: the 4th lands on the next pixel of the same run, written right after (and
     * is read from the source only where the source has a byte past the pixel).
     */
    private static void copyRun(byte[] src, int s, int step, byte[] dst, int o, int n) {
        int lastSource = src.length - 3;
        int i = 0;
        for (; i < n - 1 && s != lastSource; i++, s += step, o += 3) {
            INT.set(dst, o, (int) INT.get(src, s));
        }
        for (; i < n; i++, s += step, o += 3) {
            dst[o] = src[s];
            dst[o + 1] = src[s + 1];
            dst[o + 2] = src[s + 2];
        }
    }
}

package dev.blip2serve.image;

/**
 * A tiny colour summary of a frame for telling whether a live scene changed: the image averaged into a
 * {@value #SIDE} x {@value #SIDE} grid of RGB cells (box filter over the whole image, whatever its size or aspect).
 * Averaging over cells removes most sensor noise and compression error; keeping colour notices a shape that changes
 * colour but not brightness. Costs one pass over the pixels, no allocation beyond the grid.
 */
public final class SceneThumbnail {

    /** Cells per side. */
    public static final int SIDE = 16;

    /** Mean cell values, R G B per cell, row-major, each 0..1. */
    private final float[] cells;

    private SceneThumbnail(float[] cells) {
        this.cells = cells;
    }

    /** The grid of an RGB image; an image smaller than the grid maps several cells onto one pixel. */
    public static SceneThumbnail of(DecodedImage image) {
        int w = image.width();
        int h = image.height();
        byte[] rgb = image.rgb();
        double[] sums = new double[SIDE * SIDE * 3];
        int[] counts = new int[SIDE * SIDE];
        for (int y = 0; y < h; y++) {
            int cy = (int) ((long) y * SIDE / h);
            int row = y * w * 3;
            for (int x = 0; x < w; x++) {
                int cell = cy * SIDE + (int) ((long) x * SIDE / w);
                int i = row + x * 3;
                sums[cell * 3] += rgb[i] & 0xff;
                sums[cell * 3 + 1] += rgb[i + 1] & 0xff;
                sums[cell * 3 + 2] += rgb[i + 2] & 0xff;
                counts[cell]++;
            }
        }
        float[] cells = new float[SIDE * SIDE * 3];
        for (int cy = 0; cy < SIDE; cy++) {
            for (int cx = 0; cx < SIDE; cx++) {
                int cell = cy * SIDE + cx;
                int from = cell;
                if (counts[cell] == 0) {
                    // fewer pixels than cells: take the pixel this cell lies on
                    from = (int) ((long) cy * h / SIDE * SIDE / h) * SIDE + (int) ((long) cx * w / SIDE * SIDE / w);
                }
                for (int c = 0; c < 3; c++) {
                    cells[cell * 3 + c] = (float) (sums[from * 3 + c] / counts[from] / 255.0);
                }
            }
        }
        return new SceneThumbnail(cells);
    }

    /**
     * How different two frames look: the mean absolute difference of their cells, 0 (equal) to 1 (black against
     * white everywhere).
     */
    public double difference(SceneThumbnail other) {
        double sum = 0;
        for (int i = 0; i < cells.length; i++) {
            sum += Math.abs(cells[i] - other.cells[i]);
        }
        return sum / cells.length;
    }
}

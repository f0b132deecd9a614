package dev.blip2serve.quantize.calibration;

import dev.blip2serve.quant.FloatMatrix;
import java.util.Arrays;

/**
 * Streaming statistics of one linear input {@code X [rows, K]} over a calibration set: per-channel max|x| and
 * mean|x| over every row seen, and a bounded, reproducible sample of rows for the scale searches (from each item
 * at most {@code ceil(maxRows / items)} rows, evenly spaced, until {@code maxRows} rows are kept). Memory:
 * {@code (maxRows + 3) * K} numbers, whatever the calibration set's size.
 */
public final class ActivationStats {

    private final int k;
    private final int maxRows;
    private final int rowsPerItem;
    private final float[] absMax;
    private final double[] sumAbs;
    private final float[] sample;
    private long rows;
    private int sampled;

    /**
     * @param k       input width
     * @param maxRows most rows kept in the sample
     * @param items   number of calibration items that will be added (for the per-item share of the sample)
     */
    public ActivationStats(int k, int maxRows, int items) {
        if (k <= 0 || maxRows <= 0 || items <= 0) {
            throw new IllegalArgumentException("K, maxRows and items must be positive");
        }
        this.k = k;
        this.maxRows = maxRows;
        this.rowsPerItem = (maxRows + items - 1) / items;
        this.absMax = new float[k];
        this.sumAbs = new double[k];
        this.sample = new float[Math.multiplyExact(maxRows, k)];
    }

    /** Adds the rows {@code x [n, K]} of one calibration item. */
    public void addItem(float[] x, int n) {
        if (x.length != (long) n * k) {
            throw new IllegalArgumentException("expected " + n + " x " + k + " values, got " + x.length);
        }
        for (int r = 0; r < n; r++) {
            int off = r * k;
            for (int j = 0; j < k; j++) {
                float a = Math.abs(x[off + j]);
                if (a > absMax[j]) {
                    absMax[j] = a;
                }
                sumAbs[j] += a;
            }
        }
        rows += n;
        int take = Math.min(Math.min(rowsPerItem, n), maxRows - sampled);
        for (int i = 0; i < take; i++) {
            int r = (int) ((long) i * n / take);
            System.arraycopy(x, r * k, sample, sampled * k, k);
            sampled++;
        }
    }

    public int k() {
        return k;
    }

    /** Rows seen. */
    public long rows() {
        return rows;
    }

    /** max|x_j| over every row seen {@code [K]} (SmoothQuant's activation scales). */
    public float[] absMax() {
        return absMax.clone();
    }

    /** mean|x_j| over every row seen {@code [K]} (AWQ's activation scales). */
    public float[] meanAbs() {
        float[] out = new float[k];
        for (int j = 0; j < k; j++) {
            out[j] = rows == 0 ? 0f : (float) (sumAbs[j] / rows);
        }
        return out;
    }

    /** The sampled rows {@code [sampled, K]}, in the order they were seen. */
    public FloatMatrix sample() {
        if (sampled == 0) {
            throw new IllegalStateException("no rows were sampled");
        }
        return FloatMatrix.of(Arrays.copyOf(sample, sampled * k), sampled, k);
    }
}

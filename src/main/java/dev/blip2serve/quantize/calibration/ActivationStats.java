package dev.blip2serve.quantize.calibration;

import dev.blip2serve.quantmath.FloatMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Streaming statistics of one linear input {@code X [rows, K]} over a calibration set: per-channel max|x| and
 * mean|x| over every row seen, and a bounded, reproducible sample of rows for the scale searches. Two kinds of
 * sample: spread rows (from each item at most {@code ceil(maxRows / items)} rows, evenly spaced, until
 * {@code maxRows} rows are kept), or whole sequences for inputs of a self-attention, whose loss needs every row
 * of a sequence (items evenly spaced over the set, each kept whole while it fits; the first is always kept, cut
 * to {@code maxRows} rows if it is longer). Memory: {@code (rows kept + 3) * K} numbers, at most
 * {@code (maxRows + 3) * K} whatever the calibration set's size: the sample grows as rows are kept.
 */
public final class ActivationStats {

    private final int k;
    private final int maxRows;
    private final int rowsPerItem;
    private final int items;
    private final boolean wholeSequences;
    private final List<Integer> lengths = new ArrayList<>();
    private int itemsSeen;
    private final float[] absMax;
    private final double[] sumAbs;
    private float[] sample = new float[0];
    private long rows;
    private int sampled;

    /**
     * @param k       input width
     * @param maxRows most rows kept in the sample
     * @param items   number of calibration items that will be added (for the per-item share of the sample)
     */
    public ActivationStats(int k, int maxRows, int items) {
        this(k, maxRows, items, false);
    }

    /**
     * @param wholeSequences keep whole items (sequences) in the sample instead of spread rows
     */
    public ActivationStats(int k, int maxRows, int items, boolean wholeSequences) {
        if (k <= 0 || maxRows <= 0 || items <= 0) {
            throw new IllegalArgumentException("K, maxRows and items must be positive");
        }
        this.k = k;
        this.maxRows = maxRows;
        this.rowsPerItem = (maxRows + items - 1) / items;
        this.items = items;
        this.wholeSequences = wholeSequences;
        this.absMax = new float[k];
        this.sumAbs = new double[k];
        if ((long) maxRows * k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(maxRows + " rows of " + k + " values do not fit one array");
        }
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
        int item = itemsSeen++;
        if (wholeSequences) {
            sampleWhole(x, n, item);
            return;
        }
        int take = Math.min(Math.min(rowsPerItem, n), maxRows - sampled);
        reserve(sampled + take);
        for (int i = 0; i < take; i++) {
            int r = (int) ((long) i * n / take);
            System.arraycopy(x, r * k, sample, sampled * k, k);
            sampled++;
        }
    }

    /** Every {@code stride}-th item, with the stride set by the first item's length, while whole items fit. */
    private void sampleWhole(float[] x, int n, int item) {
        if (n == 0) {
            return;
        }
        if (lengths.isEmpty()) {
            int take = Math.min(n, maxRows);
            reserve(take);
            System.arraycopy(x, 0, sample, 0, take * k);
            sampled = take;
            lengths.add(take);
            return;
        }
        int first = lengths.getFirst();
        int wanted = Math.max(1, maxRows / first);
        int stride = Math.max(1, items / wanted);
        if (item % stride == 0 && sampled + n <= maxRows) {
            reserve(sampled + n);
            System.arraycopy(x, 0, sample, sampled * k, n * k);
            sampled += n;
            lengths.add(n);
        }
    }

    /** Grows the sample to hold {@code rowsNeeded} rows, doubling (never past {@code maxRows}). */
    private void reserve(int rowsNeeded) {
        if ((long) rowsNeeded * k <= sample.length) {
            return;
        }
        int capacity = Math.max(rowsNeeded, Math.min(maxRows, Math.max(16, 2 * (sample.length / k))));
        sample = Arrays.copyOf(sample, capacity * k);
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

    /** Whether the sample holds whole sequences ({@link #sequenceLengths()}). */
    public boolean wholeSequences() {
        return wholeSequences;
    }

    /** Lengths of the sequences in the sample, in order, summing to its rows; only for whole-sequence samples. */
    public int[] sequenceLengths() {
        if (!wholeSequences) {
            throw new IllegalStateException("this sample holds spread rows, not whole sequences");
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The sampled rows {@code [sampled, K]}, in the order they were seen. */
    public FloatMatrix sample() {
        if (sampled == 0) {
            throw new IllegalStateException("no rows were sampled");
        }
        return FloatMatrix.of(Arrays.copyOf(sample, sampled * k), sampled, k);
    }
}

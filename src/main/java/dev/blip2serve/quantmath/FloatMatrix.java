package dev.blip2serve.quantmath;

/**
 * A row-major float matrix view: {@code data[r * cols + c]}. Used for weights {@code W [N out, K in]} (as
 * Hugging Face {@code nn.Linear} stores them) and activation samples {@code X [rows, K]}. The array is shared,
 * not copied; equality is by identity of the array.
 *
 * @param rows number of rows (N for a weight, tokens for activations)
 * @param cols number of columns (K)
 * @param data {@code rows * cols} values
 */
public record FloatMatrix(int rows, int cols, float[] data) {

    public FloatMatrix {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive, got [" + rows + ", " + cols + "]");
        }
        if (data == null) {
            throw new IllegalArgumentException("matrix data must not be null");
        }
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] needs " + (long) rows * cols
                    + " values, got " + data.length);
        }
    }

    /** Wraps {@code data} as {@code [rows, cols]}. */
    public static FloatMatrix of(float[] data, int rows, int cols) {
        return new FloatMatrix(rows, cols, data);
    }

    /** Value at (r, c). */
    public float get(int r, int c) {
        return data[r * cols + c];
    }

    /** A copy of the data in a new matrix. */
    public FloatMatrix copy() {
        return new FloatMatrix(rows, cols, data.clone());
    }

    /**
     * At most {@code maxRows} rows taken evenly spaced (row {@code floor(i * rows / maxRows)}), copied; this
     * matrix itself when it has no more rows than that.
     */
    public FloatMatrix sampleRows(int maxRows) {
        if (maxRows <= 0) {
            throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
        }
        if (rows <= maxRows) {
            return this;
        }
        float[] out = new float[Math.multiplyExact(maxRows, cols)];
        for (int i = 0; i < maxRows; i++) {
            int r = (int) ((long) i * rows / maxRows);
            System.arraycopy(data, r * cols, out, i * cols, cols);
        }
        return new FloatMatrix(maxRows, cols, out);
    }

    @Override
    public String toString() {
        return "FloatMatrix[" + rows + ", " + cols + "]";
    }

    static void requireShape(float[] a, int rows, int cols, String name) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException(name + " shape must be positive, got [" + rows + ", " + cols + "]");
        }
        if ((long) rows * cols != a.length) {
            throw new IllegalArgumentException(name + " [" + rows + ", " + cols + "] needs " + (long) rows * cols
                    + " values, got " + a.length);
        }
    }
}

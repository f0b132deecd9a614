package dev.blip2serve.quantmath;

/**
 * Output-error losses of one linear {@code W [N, K]} on an activation sample {@code X [R, K]}, the quantity the
 * scale searches minimise. Rows of W are quantized a few at a time into scratch buffers, so no full copy of W
 * is ever made; partial sums are kept per fixed block of rows and added in order, so the result does not
 * depend on the thread count.
 */
final class OutputLoss {

    /** Weight rows handled per step; also the unit of the deterministic partial sums. */
    static final int ROW_BLOCK = 8;

    private OutputLoss() {
    }

    /**
     * Weight-only loss, AWQ's objective: {@code mean_{r,i} ((Q(W*s)/s - W) X^T)[r,i]^2}, i.e.
     * {@code || Q(W*s) (X/s)^T - W X^T ||^2 / (R*N)}. {@code s == null} means no scaling (plain RTN).
     */
    static double weightOnly(FloatMatrix w, FloatMatrix x, float[] s, QuantSpec spec) {
        int n = w.rows();
        int k = w.cols();
        int r = x.rows();
        float[] wd = w.data();
        float[] tensor = tensorParams(w, s, spec);
        int blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, (long) ROW_BLOCK * k * r, (from, to) -> {
            float[] e = new float[ROW_BLOCK * k];
            float[] out = new float[ROW_BLOCK * r];
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * ROW_BLOCK;
                int m = Math.min(ROW_BLOCK, n - i0);
                scaledRows(wd, i0, m, k, s, e);
                QuantKernels.fakeQuantRows(e, e, 0, m, k, spec, tensor[0], (int) tensor[1]);
                // error of the effective weight Q(W*s)/s against W
                for (int li = 0; li < m; li++) {
                    int eo = li * k;
                    int wo = (i0 + li) * k;
                    if (s == null) {
                        for (int j = 0; j < k; j++) {
                            e[eo + j] -= wd[wo + j];
                        }
                    } else {
                        for (int j = 0; j < k; j++) {
                            e[eo + j] = e[eo + j] / s[j] - wd[wo + j];
                        }
                    }
                }
                Gemm.nt(e, 0, k, m, x.data(), 0, k, r, k, out, 0, r);
                partial[blk] = sumSquares(out, m * r);
            }
        });
        return sum(partial) / ((double) n * r);
    }

    /**
     * Weight-and-activation loss: {@code || Qw(W*s) · xq^T - ref ||^2 / (R*N)} where {@code xq [R, K]} is the
     * already scaled and fake-quantized activation sample and {@code ref [N, R]} is {@link #reference}.
     */
    static double weightAndActivation(FloatMatrix w, float[] s, QuantSpec wspec, float[] xq, int r, float[] ref) {
        int n = w.rows();
        int k = w.cols();
        float[] wd = w.data();
        float[] tensor = tensorParams(w, s, wspec);
        int blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, (long) ROW_BLOCK * k * r, (from, to) -> {
            float[] q = new float[ROW_BLOCK * k];
            float[] out = new float[ROW_BLOCK * r];
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * ROW_BLOCK;
                int m = Math.min(ROW_BLOCK, n - i0);
                scaledRows(wd, i0, m, k, s, q);
                QuantKernels.fakeQuantRows(q, q, 0, m, k, wspec, tensor[0], (int) tensor[1]);
                Gemm.nt(q, 0, k, m, xq, 0, k, r, k, out, 0, r);
                double acc = 0.0;
                for (int idx = 0, base = i0 * r; idx < m * r; idx++) {
                    double d = (double) out[idx] - ref[base + idx];
                    acc += d * d;
                }
                partial[blk] = acc;
            }
        });
        return sum(partial) / ((double) n * r);
    }

    /** {@code W X^T} as {@code [N, R]}: the float outputs the quantized linear is compared against. */
    static float[] reference(FloatMatrix w, FloatMatrix x) {
        int n = w.rows();
        int r = x.rows();
        float[] out = new float[Math.multiplyExact(n, r)];
        int blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK;
        Parallel.forRange(blocks, (long) ROW_BLOCK * r * w.cols(), (from, to) -> {
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * ROW_BLOCK;
                int m = Math.min(ROW_BLOCK, n - i0);
                Gemm.nt(w.data(), i0 * w.cols(), w.cols(), m, x.data(), 0, x.cols(), r, w.cols(), out, i0 * r, r);
            }
        });
        return out;
    }

    /** dst rows [0, m) = W rows [i0, i0+m) times s per column (copied unchanged when s is null). */
    private static void scaledRows(float[] wd, int i0, int m, int k, float[] s, float[] dst) {
        if (s == null) {
            System.arraycopy(wd, i0 * k, dst, 0, m * k);
            return;
        }
        for (int li = 0; li < m; li++) {
            int wo = (i0 + li) * k;
            int d = li * k;
            for (int j = 0; j < k; j++) {
                dst[d + j] = wd[wo + j] * s[j];
            }
        }
    }

    /**
     * {scale, zero} of {@code W*s} as one tensor, for PER_TENSOR specs (zeros otherwise: unused). Computed in a
     * streaming pass, without materialising {@code W*s}.
     */
    static float[] tensorParams(FloatMatrix w, float[] s, QuantSpec spec) {
        if (spec.granularity() != QuantSpec.Granularity.PER_TENSOR) {
            return new float[] {0f, 0f};
        }
        float[] d = w.data();
        int k = w.cols();
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        float am = 0f;
        for (int off = 0; off < d.length; off += k) {
            for (int j = 0; j < k; j++) {
                float v = s == null ? d[off + j] : d[off + j] * s[j];
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                am = Math.max(am, Math.abs(v));
            }
        }
        if (spec.symmetric()) {
            return new float[] {QuantKernels.symmetricScale(am, spec.qmax()), 0f};
        }
        float sc = QuantKernels.asymmetricScale(lo, hi, spec.qmax());
        return new float[] {sc, QuantKernels.asymmetricZero(lo, sc, spec.qmax())};
    }

    static double sumSquares(float[] a, int len) {
        double acc = 0.0;
        for (int i = 0; i < len; i++) {
            double v = a[i];
            acc += v * v;
        }
        return acc;
    }

    static double sum(double[] partial) {
        double total = 0.0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }
}

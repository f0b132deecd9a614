package dev.blip2serve.quantmath;

/**
 * An 8-bit weight laid out as the right operand of ONNX {@code MatMulInteger} / {@code MatMulIntegerToFloat}:
 * {@code Y = A · B} with {@code A [M, K]} and {@code B [K, N]}, so B is the HF weight {@code W [N, K]}
 * transposed. The float result is {@code (A_int - a_zp)(B - b_zp) * a_scale * b_scale[n]}.
 *
 * @param k          rows of B (input features)
 * @param n          columns of B (output features)
 * @param b          {@code [K, N]} row-major bytes: int8 codes in [-127, 127] when symmetric ({@code unsigned}
 *                   false), uint8 codes in [0, 255] when asymmetric
 * @param unsigned   element type: false for int8, true for uint8
 * @param scales     per output column {@code [N]} (per channel) or {@code [1]} (per tensor)
 * @param zeroPoints {@code null} when symmetric (zero point 0); otherwise uint8 of the same length as scales
 */
public record MatMulIntegerWeight(int k, int n, byte[] b, boolean unsigned, float[] scales, byte[] zeroPoints) {

    public MatMulIntegerWeight {
        if (b == null || b.length != (long) k * n) {
            throw new IllegalArgumentException("B must hold K * N = " + (long) k * n + " bytes");
        }
        if (scales == null || (scales.length != n && scales.length != 1)) {
            throw new IllegalArgumentException("scales must hold N = " + n + " values or 1");
        }
        if (zeroPoints != null && zeroPoints.length != scales.length) {
            throw new IllegalArgumentException("zero points must match the scales' length " + scales.length);
        }
        if (unsigned == (zeroPoints == null)) {
            throw new IllegalArgumentException("uint8 weights carry zero points, int8 weights none");
        }
    }

    /** Shape of B: {@code [K, N]}. */
    public long[] bShape() {
        return new long[] {k, n};
    }

    /** Packs an 8-bit per-channel or per-tensor {@link QuantizedWeight} {@code [N, K]} into {@code [K, N]}. */
    public static MatMulIntegerWeight of(QuantizedWeight q) {
        QuantSpec spec = q.spec();
        if (spec.bits() != 8) {
            throw new IllegalArgumentException("MatMulInteger needs 8-bit weights, got " + spec.bits() + " bits");
        }
        if (spec.granularity() != QuantSpec.Granularity.PER_CHANNEL
                && spec.granularity() != QuantSpec.Granularity.PER_TENSOR) {
            throw new IllegalArgumentException(
                    "MatMulInteger takes per-channel or per-tensor weight scales, got " + spec.granularity());
        }
        int n = q.rows();
        int k = q.cols();
        byte[] src = q.codes();
        byte[] dst = new byte[src.length];
        // tiled transpose: both sides stay in cache for large N, K
        final int tile = 64;
        Parallel.forRange((n + tile - 1) / tile, (long) tile * k, (from, to) -> {
            for (int r0 = from * tile; r0 < Math.min(n, to * tile); r0 += tile) {
                int r1 = Math.min(n, r0 + tile);
                for (int c0 = 0; c0 < k; c0 += tile) {
                    int c1 = Math.min(k, c0 + tile);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            dst[c * n + r] = src[r * k + c];
                        }
                    }
                }
            }
        });
        byte[] zps = spec.symmetric() ? null : q.zeroPoints().clone();
        return new MatMulIntegerWeight(k, n, dst, !spec.symmetric(), q.scales().clone(), zps);
    }

    /** The float weight {@code W [N, K]} (HF layout) this operand represents. */
    public float[] dequantizeToNk() {
        float[] out = new float[b.length];
        for (int c = 0; c < k; c++) {
            for (int r = 0; r < n; r++) {
                int idx = scales.length == 1 ? 0 : r;
                int code = unsigned ? b[c * n + r] & 0xFF : b[c * n + r];
                int z = zeroPoints == null ? 0 : zeroPoints[idx] & 0xFF;
                out[r * k + c] = (code - z) * scales[idx];
            }
        }
        return out;
    }
}

package dev.blip2serve.quantmath;

/**
 * Integer codes, scales and zero points of a weight {@code W [N, K]} quantized with {@link #spec()}.
 *
 * <p>Codes: {@code codes[n * K + k]}; signed values in {@code [-qmax, qmax]} when symmetric, unsigned values in
 * {@code [0, 2^b-1]} when asymmetric (stored in a byte: read them with {@link #code(int)}).
 * Scales: {@code [1]} per tensor, {@code [N]} per channel, {@code [N, K/groupSize]} grouped (row-major, the
 * MatMulNBits order). Zero points: same layout as the scales, unsigned, {@code null} when symmetric.
 * Dequantization: {@code w' = (code - zero) * scale}. Equality is by array identity.
 *
 * @param spec       how it was quantized
 * @param rows       N
 * @param cols       K
 * @param codes      {@code N * K} codes
 * @param scales     one per block
 * @param zeroPoints one per block (asymmetric) or {@code null} (symmetric)
 */
public record QuantizedWeight(QuantSpec spec, int rows, int cols, byte[] codes, float[] scales, byte[] zeroPoints) {

    public QuantizedWeight {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        spec.requireCols(cols);
        if (rows <= 0) {
            throw new IllegalArgumentException("N must be positive, got " + rows);
        }
        if (codes == null || (long) rows * cols != codes.length) {
            throw new IllegalArgumentException("codes must hold N * K = " + (long) rows * cols + " values");
        }
        int blocks = spec.scaleCount(rows, cols);
        if (scales == null || scales.length != blocks) {
            throw new IllegalArgumentException("scales must hold " + blocks + " values for " + spec.label());
        }
        if (spec.symmetric() != (zeroPoints == null)) {
            throw new IllegalArgumentException(spec.symmetric()
                    ? "symmetric weights carry no zero points"
                    : "asymmetric weights need zero points");
        }
        if (zeroPoints != null && zeroPoints.length != blocks) {
            throw new IllegalArgumentException("zero points must hold " + blocks + " values for " + spec.label());
        }
    }

    /** Code at flat index {@code n * K + k}: signed when symmetric, unsigned when asymmetric. */
    public int code(int index) {
        return spec.symmetric() ? codes[index] : codes[index] & 0xFF;
    }

    /** Index into {@link #scales()} / {@link #zeroPoints()} of element (row, col). */
    public int blockIndex(int row, int col) {
        return switch (spec.granularity()) {
            case PER_TENSOR -> 0;
            case PER_CHANNEL, PER_TOKEN -> row;
            case GROUP -> row * (cols / spec.groupSize()) + col / spec.groupSize();
        };
    }

    /** Zero point of block {@code block} (0 when symmetric). */
    public int zeroPoint(int block) {
        return zeroPoints == null ? 0 : zeroPoints[block] & 0xFF;
    }

    /** {@code (code - zero) * scale} for every element, as a new {@code [N, K]} array. */
    public float[] dequantize() {
        float[] out = new float[codes.length];
        int block = spec.granularity() == QuantSpec.Granularity.PER_TENSOR ? codes.length : spec.blockLength(cols);
        for (int b = 0, off = 0; off < codes.length; b++, off += block) {
            float s = scales[b];
            int z = zeroPoint(b);
            for (int i = off, end = off + block; i < end; i++) {
                out[i] = (code(i) - z) * s;
            }
        }
        return out;
    }
}

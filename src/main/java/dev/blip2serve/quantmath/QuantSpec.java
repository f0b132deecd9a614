package dev.blip2serve.quantmath;

/**
 * How one tensor is quantized: bit width, granularity and symmetry.
 *
 * <p>Shapes follow Hugging Face {@code nn.Linear}: a weight is {@code W [N out, K in]} row-major, an activation
 * is {@code X [rows, K]}. Quantization blocks always run along K inside one row:
 * <ul>
 *   <li>{@link Granularity#PER_TENSOR}: one scale for the whole tensor;</li>
 *   <li>{@link Granularity#PER_CHANNEL} (weights) / {@link Granularity#PER_TOKEN} (activations): one scale per
 *       row (per output channel of W, per token of X);</li>
 *   <li>{@link Granularity#GROUP}: one scale per row per {@code groupSize} consecutive elements along K
 *       (the MatMulNBits block layout; for activations "per token per group").</li>
 * </ul>
 *
 * <p>Integer ranges ({@link #qmin()}..{@link #qmax()}): symmetric uses the narrow signed range
 * {@code [-(2^(b-1)-1), 2^(b-1)-1]} (int8: -127..127, int4: -7..7, int3: -3..3), so that {@code -q} is always
 * representable and a symmetric code never needs the lone {@code -2^(b-1)} level; asymmetric uses the
 * unsigned range {@code [0, 2^b-1]} with a per-block zero point.
 *
 * @param bits        3, 4 or 8
 * @param granularity where scales change
 * @param groupSize   elements per group along K for {@link Granularity#GROUP} (a power of two, at least 16);
 *                    0 for every other granularity
 * @param symmetric   true: zero point 0 and scale from max|x|; false: scale and zero point from min/max
 */
public record QuantSpec(int bits, Granularity granularity, int groupSize, boolean symmetric) {

    /** Where one scale (and zero point) applies. */
    public enum Granularity {
        /** One scale for the whole tensor. */
        PER_TENSOR,
        /** One scale per weight output row (weights only). */
        PER_CHANNEL,
        /** One scale per activation row, i.e. per token (activations only). */
        PER_TOKEN,
        /** One scale per row per group of {@code groupSize} elements along K. */
        GROUP
    }

    /** Smallest allowed group size; also MatMulNBits' smallest block_size. */
    public static final int MIN_GROUP_SIZE = 16;

    public QuantSpec {
        if (bits != 3 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("bits must be 3, 4 or 8, got " + bits);
        }
        if (granularity == null) {
            throw new IllegalArgumentException("granularity must not be null");
        }
        if (granularity == Granularity.GROUP) {
            if (groupSize < MIN_GROUP_SIZE || Integer.bitCount(groupSize) != 1) {
                throw new IllegalArgumentException(
                        "group size must be a power of two >= " + MIN_GROUP_SIZE + ", got " + groupSize);
            }
        } else if (groupSize != 0) {
            throw new IllegalArgumentException(
                    "group size " + groupSize + " given for granularity " + granularity + "; only GROUP takes one");
        }
    }

    /** Symmetric or asymmetric, one scale per tensor. */
    public static QuantSpec perTensor(int bits, boolean symmetric) {
        return new QuantSpec(bits, Granularity.PER_TENSOR, 0, symmetric);
    }

    /** Weights: one scale per output channel (row of W). */
    public static QuantSpec perChannel(int bits, boolean symmetric) {
        return new QuantSpec(bits, Granularity.PER_CHANNEL, 0, symmetric);
    }

    /** Activations: one scale per token (row of X). */
    public static QuantSpec perToken(int bits, boolean symmetric) {
        return new QuantSpec(bits, Granularity.PER_TOKEN, 0, symmetric);
    }

    /** One scale per row per group of {@code groupSize} elements along K. */
    public static QuantSpec grouped(int bits, int groupSize, boolean symmetric) {
        return new QuantSpec(bits, Granularity.GROUP, groupSize, symmetric);
    }

    /** Largest integer code: {@code 2^(b-1)-1} when symmetric, {@code 2^b-1} when asymmetric. */
    public int qmax() {
        return symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** Smallest integer code: {@code -qmax()} when symmetric, 0 when asymmetric. */
    public int qmin() {
        return symmetric ? -qmax() : 0;
    }

    /** True for {@link Granularity#GROUP}. */
    public boolean isGrouped() {
        return granularity == Granularity.GROUP;
    }

    /**
     * Checks that a tensor with {@code cols} elements per row (K) can use this spec.
     *
     * @throws IllegalArgumentException when the group size does not divide K
     */
    public void requireCols(int cols) {
        if (cols <= 0) {
            throw new IllegalArgumentException("K must be positive, got " + cols);
        }
        if (granularity == Granularity.GROUP && cols % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide K = " + cols);
        }
    }

    /** Elements covered by one scale inside a row: K for per-row granularities, groupSize for GROUP. */
    public int blockLength(int cols) {
        return granularity == Granularity.GROUP ? groupSize : cols;
    }

    /** Scales per row: K / groupSize for GROUP, 1 otherwise (PER_TENSOR shares one for all rows). */
    public int blocksPerRow(int cols) {
        return granularity == Granularity.GROUP ? cols / groupSize : 1;
    }

    /** Number of scales a {@code [rows, cols]} tensor needs: 1, rows, or rows * K / groupSize. */
    public int scaleCount(int rows, int cols) {
        return switch (granularity) {
            case PER_TENSOR -> 1;
            case PER_CHANNEL, PER_TOKEN -> rows;
            case GROUP -> Math.multiplyExact(rows, cols / groupSize);
        };
    }

    /** Short label for manifests and logs, e.g. {@code int4-asym-g128} or {@code int8-sym-per-channel}. */
    public String label() {
        String g = switch (granularity) {
            case PER_TENSOR -> "per-tensor";
            case PER_CHANNEL -> "per-channel";
            case PER_TOKEN -> "per-token";
            case GROUP -> "g" + groupSize;
        };
        return "int" + bits + "-" + (symmetric ? "sym" : "asym") + "-" + g;
    }
}

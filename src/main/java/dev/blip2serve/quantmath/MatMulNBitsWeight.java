package dev.blip2serve.quantmath;

/**
 * The initializers of one ONNX Runtime {@code com.microsoft::MatMulNBits} node (attributes K, N, bits,
 * block_size), as laid out by ORT's docs/ContribOperators.md and checked by its matmul_nbits_helper:
 * <ul>
 *   <li>{@code B}: uint8 {@code [N, K/block, block*bits/8]}, each block's codes bit-packed along K, first code in
 *       the low bits (for 4 bits: low nibble first);</li>
 *   <li>{@code scales}: float {@code [N, K/block]};</li>
 *   <li>{@code zero_points}: uint8 {@code [N, ceil((K/block)*bits/8)]}, packed like B, each row padded to whole
 *       bytes; {@code null} when every zero point equals ORT's default {@code 2^(bits-1)} (8 for 4 bits, 128 for
 *       8 bits), so the input can be omitted.</li>
 * </ul>
 * Dequantization inside the op: {@code w[n, k] = (code - zero_point) * scale}; the op computes
 * {@code Y = A · w^T}. 3-bit weights use the 4-bit container ({@code bits = 4}, codes 0..7).
 *
 * @param n          output features (attribute N)
 * @param k          input features (attribute K)
 * @param bits       container bit width (attribute bits): 4 or 8
 * @param blockSize  attribute block_size: a power of two, at least 16, dividing K
 * @param b          packed codes, {@code N * (K/block) * (block*bits/8)} bytes
 * @param scales     {@code N * (K/block)} scales
 * @param zeroPoints packed zero points or {@code null} for the default
 */
public record MatMulNBitsWeight(int n, int k, int bits, int blockSize, byte[] b, float[] scales,
        byte[] zeroPoints) {

    public MatMulNBitsWeight {
        if (bits != 4 && bits != 8) {
            throw new IllegalArgumentException("MatMulNBits container bits must be 4 or 8, got " + bits);
        }
        if (blockSize < QuantSpec.MIN_GROUP_SIZE || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block_size must be a power of two >= 16, got " + blockSize);
        }
        if (n <= 0 || k <= 0 || k % blockSize != 0) {
            throw new IllegalArgumentException("block_size " + blockSize + " does not divide K = " + k
                    + " (or N = " + n + " is not positive)");
        }
        long blocks = (long) n * (k / blockSize);
        if (b == null || b.length != blocks * (blockSize * bits / 8)) {
            throw new IllegalArgumentException("B must hold " + blocks * (blockSize * bits / 8) + " bytes");
        }
        if (scales == null || scales.length != blocks) {
            throw new IllegalArgumentException("scales must hold " + blocks + " values");
        }
        if (zeroPoints != null && zeroPoints.length != (long) n * zeroPointBytesPerRow(k / blockSize, bits)) {
            throw new IllegalArgumentException(
                    "zero points must hold " + (long) n * zeroPointBytesPerRow(k / blockSize, bits) + " bytes");
        }
    }

    /** K / block_size. */
    public int blocksPerRow() {
        return k / blockSize;
    }

    /** Bytes per block in B: block_size * bits / 8. */
    public int blobSize() {
        return blockSize * bits / 8;
    }

    /** ORT's zero point when the input is absent: {@code 2^(bits-1)}. */
    public int defaultZeroPoint() {
        return 1 << (bits - 1);
    }

    /** Shape of B: {@code [N, K/block, block*bits/8]}. */
    public long[] bShape() {
        return new long[] {n, blocksPerRow(), blobSize()};
    }

    /** Shape of scales: {@code [N, K/block]} (the 1-D form is deprecated in ORT). */
    public long[] scalesShape() {
        return new long[] {n, blocksPerRow()};
    }

    /** Shape of packed zero points: {@code [N, ceil((K/block) * bits / 8)]}. */
    public long[] zeroPointsShape() {
        return new long[] {n, zeroPointBytesPerRow(blocksPerRow(), bits)};
    }

    /** The packed zero points, materialising the default when {@link #zeroPoints()} is {@code null}. */
    public byte[] zeroPointsOrDefault() {
        if (zeroPoints != null) {
            return zeroPoints;
        }
        int[] zp = new int[n * blocksPerRow()];
        java.util.Arrays.fill(zp, defaultZeroPoint());
        return MatMulNBitsPacking.packZeroPoints(zp, n, blocksPerRow(), bits, defaultZeroPoint());
    }

    static int zeroPointBytesPerRow(int kBlocks, int bits) {
        return (kBlocks * bits + 7) / 8;
    }
}

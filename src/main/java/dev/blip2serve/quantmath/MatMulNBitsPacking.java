package dev.blip2serve.quantmath;

/**
 * Packs grouped weight codes into ONNX Runtime's {@code com.microsoft::MatMulNBits} layout and back.
 *
 * <p>Mapping from {@link QuantizedWeight} codes to the op's unsigned codes:
 * <ul>
 *   <li>asymmetric b-bit: code {@code u = q} in {@code [0, 2^b-1]}, zero point {@code z} as computed;</li>
 *   <li>symmetric b-bit: {@code u = q + 2^(b-1)}, zero point {@code 2^(b-1)}: 8 for 4 bits and 128 for 8 bits
 *       are ORT's defaults, so no zero_points input is written; 3 bits get zero point 4 explicitly;</li>
 *   <li>3-bit weights live in the 4-bit container (attribute {@code bits = 4}, codes 0..7): ORT's CPU and CUDA
 *       kernels only take 4 or 8.</li>
 * </ul>
 * In every case {@code (u - zp) * scale} equals the fake-quantized weight bit for bit.
 */
public final class MatMulNBitsPacking {

    private MatMulNBitsPacking() {
    }

    /** The container bit width (MatMulNBits attribute {@code bits}) for weights of {@code bits}: 4 or 8. */
    public static int containerBits(int bits) {
        return bits == 8 ? 8 : 4;
    }

    /**
     * Packs grouped codes. The block size is the spec's group size.
     *
     * @throws IllegalArgumentException when {@code q} is not GROUP-quantized
     */
    public static MatMulNBitsWeight pack(QuantizedWeight q) {
        QuantSpec spec = q.spec();
        if (!spec.isGrouped()) {
            throw new IllegalArgumentException("MatMulNBits needs GROUP granularity (block_size = group size), got "
                    + spec.granularity());
        }
        int n = q.rows();
        int k = q.cols();
        int block = spec.groupSize();
        int kBlocks = k / block;
        int bits = containerBits(spec.bits());
        int offset = spec.symmetric() ? 1 << (spec.bits() - 1) : 0;
        byte[] packed = new byte[Math.multiplyExact(n, kBlocks * (block * bits / 8))];
        Parallel.forRange(n, k, (from, to) -> {
            for (int r = from; r < to; r++) {
                int src = r * k;
                // rows are contiguous in B: row r starts at byte r * K * bits / 8, blocks follow in K order
                int dst = r * (k / 8 * bits);
                packRow(q, src, k, offset, bits, packed, dst);
            }
        });
        int def = 1 << (bits - 1);
        int[] zps = new int[n * kBlocks];
        boolean allDefault = true;
        for (int i = 0; i < zps.length; i++) {
            zps[i] = spec.symmetric() ? offset : q.zeroPoint(i);
            allDefault &= zps[i] == def;
        }
        byte[] packedZp = allDefault ? null : packZeroPoints(zps, n, kBlocks, bits, def);
        return new MatMulNBitsWeight(n, k, bits, block, packed, q.scales().clone(), packedZp);
    }

    private static void packRow(QuantizedWeight q, int src, int k, int offset, int bits, byte[] out, int dst) {
        if (bits == 8) {
            for (int i = 0; i < k; i++) {
                out[dst + i] = (byte) (q.code(src + i) + offset);
            }
            return;
        }
        // K is a multiple of the block size (>= 16), so codes pair up: even index in the low nibble
        for (int i = 0; i < k; i += 2) {
            int lo = q.code(src + i) + offset;
            int hi = q.code(src + i + 1) + offset;
            out[dst + (i >> 1)] = (byte) ((lo & 0xF) | ((hi & 0xF) << 4));
        }
    }

    /**
     * Packs per-block zero points {@code [n, kBlocks]} into {@code [n, ceil(kBlocks*bits/8)]} bytes, first value
     * in the low bits; a row's unused high nibble is filled with {@code pad} (ORT's own quantizer writes its
     * default, 8, there; the kernels never read it).
     */
    static byte[] packZeroPoints(int[] zps, int n, int kBlocks, int bits, int pad) {
        int perRow = MatMulNBitsWeight.zeroPointBytesPerRow(kBlocks, bits);
        byte[] out = new byte[n * perRow];
        for (int r = 0; r < n; r++) {
            for (int blk = 0; blk < kBlocks; blk++) {
                int v = zps[r * kBlocks + blk];
                if (bits == 8) {
                    out[r * perRow + blk] = (byte) v;
                } else {
                    int at = r * perRow + (blk >> 1);
                    out[at] = (byte) ((blk & 1) == 0 ? (out[at] & 0xF0) | (v & 0xF) : (out[at] & 0x0F) | (v << 4));
                }
            }
            if (bits == 4 && (kBlocks & 1) == 1) {
                int at = r * perRow + perRow - 1;
                out[at] = (byte) ((out[at] & 0x0F) | (pad << 4));
            }
        }
        return out;
    }

    /** Unsigned codes {@code [n, k]} from packed B {@code [n, k/block, block*bits/8]}. */
    public static int[] unpackCodes(byte[] b, int n, int k, int bits) {
        int[] out = new int[Math.multiplyExact(n, k)];
        if (b.length != (long) n * k * bits / 8) {
            throw new IllegalArgumentException("B must hold N * K * bits / 8 = " + (long) n * k * bits / 8 + " bytes");
        }
        if (bits == 8) {
            for (int i = 0; i < out.length; i++) {
                out[i] = b[i] & 0xFF;
            }
        } else if (bits == 4) {
            for (int i = 0; i < out.length; i += 2) {
                int v = b[i >> 1] & 0xFF;
                out[i] = v & 0xF;
                out[i + 1] = v >>> 4;
            }
        } else {
            throw new IllegalArgumentException("container bits must be 4 or 8, got " + bits);
        }
        return out;
    }

    /** Zero points {@code [n, kBlocks]} from their packed form; the default {@code 2^(bits-1)} when absent. */
    public static int[] unpackZeroPoints(MatMulNBitsWeight p) {
        int kBlocks = p.blocksPerRow();
        int[] out = new int[p.n() * kBlocks];
        if (p.zeroPoints() == null) {
            java.util.Arrays.fill(out, p.defaultZeroPoint());
            return out;
        }
        int perRow = MatMulNBitsWeight.zeroPointBytesPerRow(kBlocks, p.bits());
        for (int r = 0; r < p.n(); r++) {
            for (int blk = 0; blk < kBlocks; blk++) {
                if (p.bits() == 8) {
                    out[r * kBlocks + blk] = p.zeroPoints()[r * perRow + blk] & 0xFF;
                } else {
                    int v = p.zeroPoints()[r * perRow + (blk >> 1)] & 0xFF;
                    out[r * kBlocks + blk] = (blk & 1) == 0 ? v & 0xF : v >>> 4;
                }
            }
        }
        return out;
    }

    /** The weight {@code [N, K]} the op sees: {@code (code - zero_point) * scale} per element. */
    public static float[] dequantize(MatMulNBitsWeight p) {
        int[] codes = unpackCodes(p.b(), p.n(), p.k(), p.bits());
        int[] zps = unpackZeroPoints(p);
        float[] out = new float[codes.length];
        int block = p.blockSize();
        for (int blk = 0; blk < zps.length; blk++) {
            float s = p.scales()[blk];
            int z = zps[blk];
            for (int i = blk * block, end = i + block; i < end; i++) {
                out[i] = (codes[i] - z) * s;
            }
        }
        return out;
    }

    /**
     * Recovers the {@link QuantizedWeight} that {@link #pack} was given, knowing its spec (bit width and symmetry
     * are not recorded in the op: 3-bit and 4-bit weights share the container).
     *
     * @throws IllegalArgumentException when the spec does not fit the packed data
     */
    public static QuantizedWeight unpack(MatMulNBitsWeight p, QuantSpec spec) {
        if (!spec.isGrouped() || spec.groupSize() != p.blockSize()) {
            throw new IllegalArgumentException(
                    "spec " + spec.label() + " does not match block_size " + p.blockSize());
        }
        if (containerBits(spec.bits()) != p.bits()) {
            throw new IllegalArgumentException(
                    spec.bits() + "-bit weights are not stored in a " + p.bits() + "-bit container");
        }
        int[] codes = unpackCodes(p.b(), p.n(), p.k(), p.bits());
        int[] zps = unpackZeroPoints(p);
        int offset = spec.symmetric() ? 1 << (spec.bits() - 1) : 0;
        byte[] out = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int q = codes[i] - offset;
            if (q < spec.qmin() - (spec.symmetric() ? 1 : 0) || q > spec.qmax()) {
                throw new IllegalArgumentException("code " + codes[i] + " at " + i + " is outside " + spec.label());
            }
            out[i] = (byte) q;
        }
        byte[] zeros = null;
        if (spec.symmetric()) {
            for (int z : zps) {
                if (z != offset) {
                    throw new IllegalArgumentException("symmetric " + spec.bits() + "-bit weights need zero point "
                            + offset + ", found " + z);
                }
            }
        } else {
            zeros = new byte[zps.length];
            for (int i = 0; i < zps.length; i++) {
                zeros[i] = (byte) zps[i];
            }
        }
        return new QuantizedWeight(spec, p.n(), p.k(), out, p.scales().clone(), zeros);
    }
}

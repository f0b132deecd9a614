package dev.blip2serve.synthetic;

/**
 * Reproducible "random" weights: element i of tensor {@code name} is a pure function of (name, i), so a
 * checkpoint written here is bit-identical to the one {@code scripts/gpu/full_size_reference.py} builds in
 * PyTorch on another machine — which is how the full-size graphs are compared with HF transformers without
 * moving 15 GB. The law: a 32-bit integer hash of {@code i * 2654435761 + fnv1a32(name)}, as a uniform
 * u in [0, 1), gives {@code offset + (u - 0.5) * 2 * amplitude}, computed in double and rounded to float.
 */
public final class HashedWeights {

    private HashedWeights() {
    }

    /** FNV-1a, 32 bit, over the UTF-8 bytes of {@code name}. */
    public static long fnv1a32(String name) {
        long h = 0x811C9DC5L;
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h = (h * 0x01000193L) & 0xFFFFFFFFL;
        }
        return h;
    }

    /** Element {@code i} (0-based, row-major) of tensor {@code name}. */
    public static float value(long seed, long i, double offset, double amplitude) {
        long x = (i * 2654435761L + seed) & 0xFFFFFFFFL;
        x ^= x >>> 16;
        x = (x * 0x45D9F3BL) & 0xFFFFFFFFL;
        x ^= x >>> 16;
        x = (x * 0x45D9F3BL) & 0xFFFFFFFFL;
        x ^= x >>> 16;
        double u = x / 4294967296.0;
        return (float) (offset + (u - 0.5) * 2 * amplitude);
    }

    /** Fills {@code out} with elements {@code start .. start + out.length - 1} of tensor {@code name}. */
    public static void fill(String name, long start, float[] out, double offset, double amplitude) {
        fill(fnv1a32(name), start, out, out.length, offset, amplitude);
    }

    /** Fills {@code out[0, count)} with elements {@code start ..} of the tensor whose name hashes to {@code seed}. */
    public static void fill(long seed, long start, float[] out, int count, double offset, double amplitude) {
        for (int j = 0; j < count; j++) {
            out[j] = value(seed, start + j, offset, amplitude);
        }
    }

    /**
     * The law of a hub tensor name: LayerNorm weights around 1 (±0.1), everything else ±0.02. Must match
     * {@code law()} in the Python script.
     */
    public static double[] law(String name) {
        boolean norm = name.contains("layer_norm") || name.contains("layernorm") || name.contains("LayerNorm");
        return norm && name.endsWith(".weight") ? new double[] {1.0, 0.1} : new double[] {0.0, 0.02};
    }
}

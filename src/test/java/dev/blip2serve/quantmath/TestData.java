package dev.blip2serve.quantmath;

import java.util.Random;

/** Seeded random tensors for the quantization tests. */
final class TestData {

    private TestData() {
    }

    /** Gaussian values with standard deviation {@code sigma}. */
    static float[] gaussian(long seed, int count, double sigma) {
        Random rnd = new Random(seed);
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return out;
    }

    /**
     * Activations {@code [rows, k]} with a few outlier channels (every 16th channel scaled by {@code outlier}), the
     * pattern that makes smoothing and AWQ matter.
     */
    static float[] activationsWithOutliers(long seed, int rows, int k, double outlier) {
        float[] x = gaussian(seed, rows * k, 1.0);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j += 16) {
                x[r * k + j] *= (float) outlier;
            }
        }
        return x;
    }

    /** {@code X W^T} as {@code [rows, n]} in double. */
    static double[] matmulNt(float[] x, int rows, float[] w, int n, int k) {
        double[] out = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) {
                double acc = 0.0;
                for (int j = 0; j < k; j++) {
                    acc += (double) x[r * k + j] * w[i * k + j];
                }
                out[r * n + i] = acc;
            }
        }
        return out;
    }

    static float absMax(float[] a) {
        float m = 0f;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static QuantSpec spec(int bits, String granularity, int groupSize, boolean symmetric) {
        return switch (granularity) {
            case "tensor" -> QuantSpec.perTensor(bits, symmetric);
            case "channel" -> QuantSpec.perChannel(bits, symmetric);
            case "token" -> QuantSpec.perToken(bits, symmetric);
            case "group" -> QuantSpec.grouped(bits, groupSize, symmetric);
            default -> throw new IllegalArgumentException(granularity);
        };
    }
}

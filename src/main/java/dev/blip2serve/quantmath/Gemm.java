package dev.blip2serve.quantmath;

/**
 * The one matrix product the searches need: {@code C = A · B^T} with both operands row-major along the shared
 * dimension (weight rows times activation rows), float accumulation like a float32 MatMul.
 */
final class Gemm {

    private Gemm() {
    }

    /**
     * {@code c[cOff + i*ldc + t] = sum_j a[aOff + i*lda + j] * b[bOff + t*ldb + j]} for i < m, t < n, j < k.
     * A 2x2 register block gives four independent accumulators (the JIT does not vectorize float reductions,
     * so the speed comes from instruction-level parallelism and halved loads).
     */
    static void nt(float[] a, int aOff, int lda, int m, float[] b, int bOff, int ldb, int n, int k,
            float[] c, int cOff, int ldc) {
        int i = 0;
        for (; i + 1 < m; i += 2) {
            int a0 = aOff + i * lda;
            int a1 = a0 + lda;
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int b0 = bOff + t * ldb;
                int b1 = b0 + ldb;
                float s00 = 0f;
                float s01 = 0f;
                float s10 = 0f;
                float s11 = 0f;
                for (int j = 0; j < k; j++) {
                    float x0 = a[a0 + j];
                    float x1 = a[a1 + j];
                    float y0 = b[b0 + j];
                    float y1 = b[b1 + j];
                    s00 += x0 * y0;
                    s01 += x0 * y1;
                    s10 += x1 * y0;
                    s11 += x1 * y1;
                }
                int c0 = cOff + i * ldc + t;
                c[c0] = s00;
                c[c0 + 1] = s01;
                c[c0 + ldc] = s10;
                c[c0 + ldc + 1] = s11;
            }
            if (t < n) {
                int b0 = bOff + t * ldb;
                c[cOff + i * ldc + t] = dot(a, a0, b, b0, k);
                c[cOff + (i + 1) * ldc + t] = dot(a, a1, b, b0, k);
            }
        }
        if (i < m) {
            int a0 = aOff + i * lda;
            for (int t = 0; t < n; t++) {
                c[cOff + i * ldc + t] = dot(a, a0, b, bOff + t * ldb, k);
            }
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        float s0 = 0f;
        float s1 = 0f;
        int j = 0;
        for (; j + 1 < k; j += 2) {
            s0 += a[aOff + j] * b[bOff + j];
            s1 += a[aOff + j + 1] * b[bOff + j + 1];
        }
        if (j < k) {
            s0 += a[aOff + j] * b[bOff + j];
        }
        return s0 + s1;
    }
}

package dev.blip2serve.reproduce;

/** Paired comparisons of two variants measured on the same items or positions. */
final class Paired {

    private Paired() {
    }

    /** Standard error of the mean of paired {@code differences}; NaN for fewer than two. */
    static double standardError(double[] differences) {
        int n = differences.length;
        if (n < 2) {
            return Double.NaN;
        }
        double mean = 0;
        for (double d : differences) {
            mean += d;
        }
        mean /= n;
        double ss = 0;
        for (double d : differences) {
            ss += (d - mean) * (d - mean);
        }
        return Math.sqrt(ss / (n - 1) / n);
    }
}

package dev.blip2serve.generation;

/**
 * The best {@code capacity} (score, beam, token) triples offered, kept sorted best first. Ties keep the
 * earlier offer first, like torch.topk on the flattened [beams × vocab] scores.
 */
final class Candidates {

    private final double[] scores;
    private final int[] beams;
    private final int[] tokens;
    private int size;

    private Candidates(int capacity) {
        scores = new double[capacity];
        beams = new int[capacity];
        tokens = new int[capacity];
    }

    static Candidates top(int capacity) {
        return new Candidates(capacity);
    }

    void offer(double score, int beam, int token) {
        if (size == scores.length && score <= scores[size - 1]) {
            return;
        }
        int i = size == scores.length ? size - 1 : size++;
        while (i > 0 && scores[i - 1] < score) {
            scores[i] = scores[i - 1];
            beams[i] = beams[i - 1];
            tokens[i] = tokens[i - 1];
            i--;
        }
        scores[i] = score;
        beams[i] = beam;
        tokens[i] = token;
    }

    int size() {
        return size;
    }

    double score(int rank) {
        return scores[rank];
    }

    int beam(int rank) {
        return beams[rank];
    }

    int token(int rank) {
        return tokens[rank];
    }
}

package dev.blip2serve.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy (or sampled, {@link Sampling}) and beam-search generation over a {@link CausalLm}, with Hugging Face's
 * semantics: text prompts left-padded after the image prefix, finished rows fed the pad token, beam hypotheses scored
 * {@code sum logprob / length^length_penalty}, candidates 2×beams per step, EOS accepted only from the
 * top {@code beams} ranks.
 */
public final class Generator {

    private final CausalLm lm;

    public Generator(CausalLm lm) {
        this.lm = lm;
    }

    /**
     * @param prefix    image prefix embeddings [items, prefixLen, dim], one per prompt
     * @param prompts   token ids per item (BOS included); lengths may differ
     * @return per item, the n-best captions, best first
     */
    public List<List<Caption>> generate(float[] prefix, int prefixLen, List<long[]> prompts, GenerationParams p) {
        return run(prefix, prefixLen, prompts, p).captions();
    }

    /** {@link #generate} with the time spent in prefill and in the decode loop. */
    public GenerationResult run(float[] prefix, int prefixLen, List<long[]> prompts, GenerationParams p) {
        return run(prefix, prefixLen, prompts, p, TokenListener.NONE);
    }

    /**
     * {@link #run} that tells {@code listener} each new token as greedy search picks it (beam search does not) and
     * asks it before every decoder pass whether to stop.
     *
     * @throws GenerationStoppedException when the listener asked to stop
     */
    public GenerationResult run(float[] prefix, int prefixLen, List<long[]> prompts, GenerationParams p,
                                TokenListener listener) {
        if (prompts.isEmpty()) {
            return new GenerationResult(List.of(), 0, 0, 0);
        }
        Batch batch = Batch.leftPadded(prefixLen, prompts, p.padTokenId());
        Clock clock = new Clock();
        List<List<Caption>> captions = p.numBeams() == 1 ? greedy(prefix, batch, p, clock, listener)
                : beams(prefix, batch, p, clock, listener);
        return new GenerationResult(captions, clock.prefillNanos, clock.decodeNanos, clock.steps);
    }

    private static void checkStop(TokenListener listener, Clock clock) {
        if (listener.stopRequested()) {
            throw new GenerationStoppedException(clock.steps);
        }
    }

    /** Times the first forward pass apart from the rest. */
    private static final class Clock {
        private final long start = System.nanoTime();
        private long prefillNanos;
        private long decodeNanos;
        private int steps;

        void prefillDone() {
            prefillNanos = System.nanoTime() - start;
        }

        void stepDone() {
            steps++;
            decodeNanos = System.nanoTime() - start - prefillNanos;
        }
    }

    // ---------------------------------------------------------------- greedy

    private List<List<Caption>> greedy(float[] prefix, Batch b, GenerationParams p, Clock clock, TokenListener listener) {
        int rows = b.items();
        List<long[]> generated = new ArrayList<>();
        double[] logprob = new double[rows];
        int[] length = new int[rows];
        boolean[] finished = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            generated.add(new long[p.maxNewTokens()]);
        }
        TokenChooser[] choosers = new TokenChooser[rows];
        List<List<TokenLogprob>> steps = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            choosers[r] = new TokenChooser(p.sampling());
            steps.add(new ArrayList<>());
        }
        long[] mask = b.mask();
        checkStop(listener, clock);
        CausalLm.Step step = lm.prefill(prefix, b.prefixLen(), b.tokens(), b.tokenLen(), mask, rows);
        clock.prefillDone();
        try {
            for (int t = 0; t < p.maxNewTokens(); t++) {
                long[] next = new long[rows];
                for (int r = 0; r < rows; r++) {
                    if (finished[r]) {
                        next[r] = p.padTokenId();
                        continue;
                    }
                    float[] logits = step.logits()[r];
                    LogitsProcessing.apply(logits, p.repetitionPenalty() == 1.0 ? NONE_SEEN
                            : seen(b.prompt(r), generated.get(r), length[r]), length[r], p);
                    int tok = choosers[r].choose(logits);
                    logprob[r] += LogitsProcessing.logProb(logits, tok);
                    next[r] = tok;
                    if (p.isEos(tok)) {
                        finished[r] = true;
                    } else {
                        if (p.topLogprobs() >= 0) {
                            steps.get(r).add(TokenChooser.logprobs(logits, tok, p.topLogprobs()));
                        }
                        generated.get(r)[length[r]++] = tok;
                        listener.onToken(r, tok);
                    }
                }
                if (allTrue(finished) || t == p.maxNewTokens() - 1) {
                    break;
                }
                mask = appendOnes(mask, rows);
                checkStop(listener, clock);
                CausalLm.Step following = lm.next(step.state(), next, mask);
                step.state().close();
                step = following;
                clock.stepDone();
            }
        } finally {
            step.state().close();
        }
        List<List<Caption>> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            out.add(List.of(new Caption(Arrays.copyOf(generated.get(r), length[r]), logprob[r], logprob[r],
                    List.copyOf(steps.get(r)))));
        }
        return out;
    }

    // ---------------------------------------------------------------- beam search

    private List<List<Caption>> beams(float[] prefix, Batch b, GenerationParams p, Clock clock,
                                      TokenListener listener) {
        int items = b.items();
        int k = p.numBeams();
        int rows = items * k;
        int vocab = lm.vocabSize();
        long[][] seqs = new long[rows][p.maxNewTokens()];
        int len = 0;
        double[] beamScores = new double[rows];
        for (int r = 0; r < rows; r++) {
            beamScores[r] = r % k == 0 ? 0 : -1e9;   // only the first beam of each item expands at step 0
        }
        BeamHypotheses[] hyps = new BeamHypotheses[items];
        boolean[] done = new boolean[items];
        for (int i = 0; i < items; i++) {
            hyps[i] = new BeamHypotheses(k, p.lengthPenalty());
        }
        int[] expand = new int[rows];
        for (int r = 0; r < rows; r++) {
            expand[r] = r / k;
        }
        long[] mask = Batch.repeatRows(b.mask(), items, k);
        checkStop(listener, clock);
        CausalLm.Step first = lm.prefill(prefix, b.prefixLen(), b.tokens(), b.tokenLen(), b.mask(), items);
        clock.prefillDone();
        CausalLm.State state = lm.select(first.state(), expand);
        first.state().close();
        float[][] logits = new float[rows][];
        for (int r = 0; r < rows; r++) {
            logits[r] = first.logits()[r / k].clone();
        }
        try {
            for (int t = 0; t < p.maxNewTokens(); t++) {
                int[] source = new int[rows];
                long[] nextTokens = new long[rows];
                double[] nextScores = new double[rows];
                for (int item = 0; item < items; item++) {
                    if (done[item]) {
                        for (int j = 0; j < k; j++) {
                            int r = item * k + j;
                            source[r] = r;
                            nextTokens[r] = p.padTokenId();
                        }
                        continue;
                    }
                    Candidates top = Candidates.top(2 * k);
                    for (int j = 0; j < k; j++) {
                        int r = item * k + j;
                        // HF beam search runs the processors on log-probabilities, greedy on raw logits.
                        float[] lp = LogitsProcessing.logSoftmax(logits[r]);
                        LogitsProcessing.apply(lp, seen(b.prompt(item), seqs[r], len), len, p);
                        for (int v = 0; v < vocab; v++) {
                            top.offer(lp[v] + beamScores[r], j, v);
                        }
                    }
                    int kept = 0;
                    for (int rank = 0; rank < top.size() && kept < k; rank++) {
                        int fromBeam = top.beam(rank);
                        int token = top.token(rank);
                        double score = top.score(rank);
                        int fromRow = item * k + fromBeam;
                        if (p.isEos(token)) {
                            if (rank < k) {
                                hyps[item].add(Arrays.copyOf(seqs[fromRow], len), score, len + 1);
                            }
                            continue;
                        }
                        int r = item * k + kept++;
                        source[r] = fromRow;
                        nextTokens[r] = token;
                        nextScores[r] = score;
                    }
                    done[item] = hyps[item].isDone(top.score(0), len + 1);
                }
                long[][] reordered = new long[rows][];
                for (int r = 0; r < rows; r++) {
                    reordered[r] = seqs[source[r]].clone();
                    reordered[r][len] = nextTokens[r];
                    if (!done[r / k]) {
                        beamScores[r] = nextScores[r];
                    }
                }
                seqs = reordered;
                len++;
                if (allTrue(done) || len == p.maxNewTokens()) {
                    break;
                }
                checkStop(listener, clock);
                CausalLm.State selected = lm.select(state, source);
                state.close();
                state = selected;
                mask = appendOnes(mask, rows);
                CausalLm.Step step = lm.next(state, nextTokens, mask);
                state.close();
                state = step.state();
                logits = step.logits();
                clock.stepDone();
            }
        } finally {
            state.close();
        }
        List<List<Caption>> out = new ArrayList<>();
        for (int item = 0; item < items; item++) {
            if (!done[item]) {
                for (int j = 0; j < k; j++) {
                    int r = item * k + j;
                    hyps[item].add(Arrays.copyOf(seqs[r], len), beamScores[r], len);
                }
            }
            out.add(hyps[item].best(p.numReturn()));
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    /** What the processors get for "seen" when no repetition penalty reads it. */
    private static final long[] NONE_SEEN = new long[0];

    private static long[] seen(long[] prompt, long[] generated, int length) {
        long[] all = Arrays.copyOf(prompt, prompt.length + length);
        System.arraycopy(generated, 0, all, prompt.length, length);
        return all;
    }

    private static long[] appendOnes(long[] mask, int rows) {
        int width = mask.length / rows;
        long[] out = new long[rows * (width + 1)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(mask, r * width, out, r * (width + 1), width);
            out[r * (width + 1) + width] = 1;
        }
        return out;
    }

    private static boolean allTrue(boolean[] v) {
        for (boolean b : v) {
            if (!b) {
                return false;
            }
        }
        return true;
    }
}

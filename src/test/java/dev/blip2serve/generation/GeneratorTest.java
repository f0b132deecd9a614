package dev.blip2serve.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Search semantics on a scripted language model whose next-token logits depend only on the tokens so far. */
class GeneratorTest {

    static final int VOCAB = 6;
    static final int EOS = 2;
    static final int PAD = 1;

    /** Each row's state is just its token history; logits come from {@code script}. */
    static final class ScriptedLm implements CausalLm {
        final Function<List<Long>, float[]> script;
        int calls;

        ScriptedLm(Function<List<Long>, float[]> script) {
            this.script = script;
        }

        record Rows(List<List<Long>> history) implements State {
            @Override
            public int rows() {
                return history.size();
            }

            @Override
            public void close() {
            }
        }

        @Override
        public int vocabSize() {
            return VOCAB;
        }

        @Override
        public Step prefill(float[] prefix, int prefixLen, long[] tokens, int tokenLen, long[] mask, int rows) {
            calls++;
            List<List<Long>> hist = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                List<Long> h = new ArrayList<>();
                for (int i = 0; i < tokenLen; i++) {
                    if (mask[r * (prefixLen + tokenLen) + prefixLen + i] == 1) {
                        h.add(tokens[r * tokenLen + i]);
                    }
                }
                hist.add(h);
            }
            return step(hist);
        }

        @Override
        public Step next(State state, long[] tokens, long[] mask) {
            calls++;
            List<List<Long>> hist = new ArrayList<>();
            for (int r = 0; r < state.rows(); r++) {
                List<Long> h = new ArrayList<>(((Rows) state).history().get(r));
                h.add(tokens[r]);
                hist.add(h);
            }
            return step(hist);
        }

        @Override
        public State select(State state, int[] sourceRows) {
            List<List<Long>> hist = new ArrayList<>();
            for (int r : sourceRows) {
                hist.add(((Rows) state).history().get(r));
            }
            return new Rows(hist);
        }

        private Step step(List<List<Long>> hist) {
            float[][] logits = new float[hist.size()][];
            for (int r = 0; r < hist.size(); r++) {
                logits[r] = script.apply(hist.get(r));
            }
            return new Step(logits, new Rows(hist));
        }
    }

    static float[] prefer(int token, float margin) {
        float[] l = new float[VOCAB];
        l[token] = margin;
        return l;
    }

    static GenerationParams params(int max) {
        return GenerationParams.greedy(max, new int[] {EOS}, PAD);
    }

    @Test
    void greedyStopsAtEosAndLeavesItOut() {
        ScriptedLm lm = new ScriptedLm(h -> h.size() < 3 ? prefer(4, 5) : prefer(EOS, 5));
        Caption c = new Generator(lm).generate(new float[0], 0, List.of(new long[] {0}), params(10)).getFirst().getFirst();
        assertThat(c.tokens()).containsExactly(4, 4);
        assertThat(lm.calls).isEqualTo(3);
        assertThat(c.logprob()).isNegative();
    }

    @Test
    void minNewTokensForbidsEarlyEos() {
        ScriptedLm lm = new ScriptedLm(h -> {
            float[] l = prefer(EOS, 5);
            l[3] = 4;
            return l;
        });
        GenerationParams p = new GenerationParams(10, 2, 1, 1, 1.0, 1.0, new int[] {EOS}, PAD);
        Caption c = new Generator(lm).generate(new float[0], 0, List.of(new long[] {0}), p).getFirst().getFirst();
        assertThat(c.tokens()).containsExactly(3, 3);
    }

    @Test
    void repetitionPenaltyFollowsHf() {
        float[] logits = {2f, -2f, 1f, 0f};
        GenerationParams p = new GenerationParams(5, 0, 1, 1, 1.0, 2.0, new int[] {EOS}, PAD);
        LogitsProcessing.apply(logits, new long[] {0, 1, 1}, 0, p);
        assertThat(logits).containsExactly(1f, -4f, 1f, 0f);
    }

    @Test
    void theLogProbOfOneTokenIsItsEntryOfTheLogSoftmax() {
        float[] logits = {3.5f, -1e4f, 0.25f, Float.NEGATIVE_INFINITY, 88f, -87.5f};
        float[] all = LogitsProcessing.logSoftmax(logits);
        for (int t = 0; t < logits.length; t++) {
            assertThat(LogitsProcessing.logProb(logits, t)).isEqualTo(all[t]);
        }
    }

    @Test
    void beamSearchFindsTheBetterTwoStepPathGreedyMisses() {
        // Greedy takes 3 (0.6) then is unsure; 4 (0.4) leads to a certain EOS. Beams pick 4, EOS.
        ScriptedLm lm = new ScriptedLm(h -> {
            if (h.size() == 1) {
                return new float[] {-9, -9, -9, (float) Math.log(0.6), (float) Math.log(0.4), -9};
            }
            if (h.get(1) == 3) {
                return new float[] {-9, -9, 0, -9, 0, 0};
            }
            return new float[] {-9, -9, 9, -9, -9, -9};
        });
        Generator g = new Generator(lm);
        Caption greedy = g.generate(new float[0], 0, List.of(new long[] {0}), params(2)).getFirst().getFirst();
        assertThat(greedy.tokens()[0]).isEqualTo(3);
        List<Caption> beams = g.generate(new float[0], 0, List.of(new long[] {0}), params(2).withBeams(3)).getFirst();
        assertThat(beams.getFirst().tokens()).containsExactly(4);
    }

    @Test
    void nBestIsSortedAndBounded() {
        ScriptedLm lm = new ScriptedLm(h -> new float[] {0, -9, 1, 3, 2, 0.5f});
        GenerationParams p = new GenerationParams(3, 0, 4, 3, 1.0, 1.0, new int[] {EOS}, PAD);
        List<Caption> out = new Generator(lm).generate(new float[0], 0, List.of(new long[] {0}), p).getFirst();
        assertThat(out).hasSize(3);
        assertThat(out.get(0).score()).isGreaterThanOrEqualTo(out.get(1).score());
        assertThat(out.get(1).score()).isGreaterThanOrEqualTo(out.get(2).score());
    }

    @Test
    void promptsOfDifferentLengthsAreLeftPaddedAndIndependent() {
        ScriptedLm lm = new ScriptedLm(h -> prefer((int) (h.getLast() % 3) + 3, 5));
        List<List<Caption>> out = new Generator(lm).generate(new float[0], 0,
                List.of(new long[] {0, 3}, new long[] {0, 4, 4, 5}), params(2));
        assertThat(out.get(0).getFirst().tokens()).containsExactly(3, 3);
        assertThat(out.get(1).getFirst().tokens()).containsExactly(5, 5);
    }

    @Test
    void badParametersAreRejectedWithTheirNames() {
        assertThatThrownBy(() -> new GenerationParams(0, 0, 1, 1, 1, 1, new int[] {2}, 1)).hasMessageContaining("max_new_tokens");
        assertThatThrownBy(() -> new GenerationParams(5, 6, 1, 1, 1, 1, new int[] {2}, 1)).hasMessageContaining("min_new_tokens");
        assertThatThrownBy(() -> new GenerationParams(5, 0, 2, 3, 1, 1, new int[] {2}, 1)).hasMessageContaining("num_captions");
        assertThatThrownBy(() -> new GenerationParams(5, 0, 1, 1, 1, 0, new int[] {2}, 1)).hasMessageContaining("repetition_penalty");
        assertThatThrownBy(() -> new GenerationParams(5, 0, 1, 1, Double.NaN, 1, new int[] {2}, 1)).hasMessageContaining("length_penalty");
    }
}

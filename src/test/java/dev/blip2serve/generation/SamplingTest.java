package dev.blip2serve.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.generation.GeneratorTest.ScriptedLm;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded sampling and per-token log-probabilities on a scripted language model whose logits are the same at every
 * step: EOS and the special tokens far below, tokens 3, 4, 5 at 0, 0.5 and 1 (probabilities 0.186, 0.307, 0.506).
 */
class SamplingTest {

    private static final float[] LOGITS = {-30, -30, -30, 0f, 0.5f, 1f};
    private static final int STEPS = 40;

    private static List<Caption> generate(List<long[]> prompts, GenerationParams p) {
        ScriptedLm lm = new ScriptedLm(h -> LOGITS.clone());
        return new Generator(lm).generate(new float[0], 0, prompts, p).stream().map(List::getFirst).toList();
    }

    private static GenerationParams sampled(double temperature, double topP, long seed) {
        return GeneratorTest.params(STEPS).withSampling(new Sampling(temperature, topP, seed), -1);
    }

    private static Set<Long> tokens(Caption c) {
        Set<Long> out = new HashSet<>();
        for (long t : c.tokens()) {
            out.add(t);
        }
        return out;
    }

    @Test
    void theSameSeedDrawsTheSameTokensAloneOrInABatch() {
        Caption alone = generate(List.of(new long[] {0}), sampled(1.0, 1.0, 42)).getFirst();
        List<Caption> batch = generate(List.of(new long[] {0, 3, 3}, new long[] {0}, new long[] {0, 4}),
                sampled(1.0, 1.0, 42));
        assertThat(batch.get(1).tokens()).containsExactly(alone.tokens());
        assertThat(alone.tokens()).hasSize(STEPS);
        Caption other = generate(List.of(new long[] {0}), sampled(1.0, 1.0, 43)).getFirst();
        assertThat(other.tokens()).isNotEqualTo(alone.tokens());
        // every likely token is drawn somewhere in 40 draws; greedy would give 5 only
        assertThat(tokens(alone)).containsExactlyInAnyOrder(3L, 4L, 5L);
    }

    @Test
    void topPKeepsTheSmallestNucleusAndTinyValuesAreGreedy() {
        // 0.506 + 0.307 = 0.813 reaches 0.7: token 3 is outside the nucleus
        Caption nucleus = generate(List.of(new long[] {0}), sampled(1.0, 0.7, 7)).getFirst();
        assertThat(tokens(nucleus)).containsExactlyInAnyOrder(4L, 5L);
        Caption tiny = generate(List.of(new long[] {0}), sampled(1.0, Double.MIN_NORMAL, 7)).getFirst();
        assertThat(tokens(tiny)).containsExactly(5L);
        Caption cold = generate(List.of(new long[] {0}), sampled(0.01, 1.0, 7)).getFirst();
        assertThat(tokens(cold)).containsExactly(5L);
    }

    @Test
    void perTokenLogprobsListTheMostLikelyAlternatives() {
        GenerationParams p = GeneratorTest.params(3).withSampling(null, 2);
        Caption c = generate(List.of(new long[] {0}), p).getFirst();
        assertThat(c.tokens()).containsExactly(5, 5, 5);
        assertThat(c.steps()).hasSize(3);
        double lse = Math.log(Math.exp(0) + Math.exp(0.5) + Math.exp(1) + 3 * Math.exp(-30));
        for (TokenLogprob step : c.steps()) {
            assertThat(step.token()).isEqualTo(5);
            assertThat(step.logprob()).isCloseTo(1 - lse, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(step.topTokens()).containsExactly(5, 4);
            assertThat(step.topLogprobs()[1]).isCloseTo(0.5 - lse, org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(c.steps().stream().mapToDouble(TokenLogprob::logprob).sum())
                .isCloseTo(c.logprob(), org.assertj.core.data.Offset.offset(1e-5));
        // without asking, none
        assertThat(generate(List.of(new long[] {0}), GeneratorTest.params(3)).getFirst().steps()).isEmpty();
    }

    @Test
    void samplingAndPerTokenLogprobsAreForGreedySearchOnly() {
        assertThatThrownBy(() -> GeneratorTest.params(3).withBeams(2).withSampling(new Sampling(1, 1, 1), -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GeneratorTest.params(3).withBeams(2).withSampling(null, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampling(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampling(1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sampling(1, 1.5, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}

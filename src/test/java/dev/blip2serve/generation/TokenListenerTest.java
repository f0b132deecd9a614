package dev.blip2serve.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.generation.GeneratorTest.ScriptedLm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streaming hook: greedy search tells each new token of each item as it picks it; beam search tells nothing. */
class TokenListenerTest {

    private record Heard(int item, long token) {
    }

    @Test
    void greedyTellsEveryNewTokenOfEveryItemInOrderWithoutEos() {
        // Item 0 (prompt [0]) says 4, 4 then EOS; item 1 (prompt [0, 5]) says 3 then EOS.
        ScriptedLm lm = new ScriptedLm(h -> {
            boolean second = h.size() > 1 && h.get(1) == 5;
            long generated = h.size() - (second ? 2 : 1);
            if (second) {
                return generated < 1 ? GeneratorTest.prefer(3, 5) : GeneratorTest.prefer(GeneratorTest.EOS, 5);
            }
            return generated < 2 ? GeneratorTest.prefer(4, 5) : GeneratorTest.prefer(GeneratorTest.EOS, 5);
        });
        List<Heard> heard = new ArrayList<>();
        GenerationResult r = new Generator(lm).run(new float[0], 0, List.of(new long[] {0}, new long[] {0, 5}),
                GeneratorTest.params(10), (item, token) -> heard.add(new Heard(item, token)));
        assertThat(r.captions().get(0).getFirst().tokens()).containsExactly(4, 4);
        assertThat(r.captions().get(1).getFirst().tokens()).containsExactly(3);
        assertThat(heard).containsExactly(new Heard(0, 4), new Heard(1, 3), new Heard(0, 4));
    }

    @Test
    void beamSearchTellsNothingAndTheListenerDoesNotChangeTheResult() {
        ScriptedLm lm = new ScriptedLm(h -> h.size() < 3 ? GeneratorTest.prefer(4, 5) : GeneratorTest.prefer(GeneratorTest.EOS, 5));
        List<Long> heard = new ArrayList<>();
        GenerationParams beams = GeneratorTest.params(10).withBeams(2);
        GenerationResult withListener = new Generator(lm).run(new float[0], 0, List.of(new long[] {0}), beams,
                (item, token) -> heard.add(token));
        GenerationResult without = new Generator(lm).run(new float[0], 0, List.of(new long[] {0}), beams);
        assertThat(heard).isEmpty();
        assertThat(withListener.captions().getFirst().getFirst().tokens())
                .containsExactly(without.captions().getFirst().getFirst().tokens());
    }

    @Test
    void aListenerThatAsksToStopEndsGreedyAndBeamSearchAtTheNextDecoderPass() {
        for (int beams : new int[] {1, 3}) {
            ScriptedLm lm = new ScriptedLm(h -> GeneratorTest.prefer(4, 5)); // never says EOS
            int[] asked = {0};
            TokenListener stopAfterTwoPasses = new TokenListener() {
                @Override
                public void onToken(int item, long token) {
                }

                @Override
                public boolean stopRequested() {
                    return ++asked[0] > 2; // prefill and one step run, then stop
                }
            };
            GenerationParams p = GeneratorTest.params(50).withBeams(beams);
            assertThatThrownBy(() -> new Generator(lm).run(new float[0], 0, List.of(new long[] {0}), p,
                    stopAfterTwoPasses)).as("beams %d", beams).isInstanceOf(GenerationStoppedException.class)
                    .hasMessageContaining("after 1 decoder steps");
            assertThat(lm.calls).as("beams %d: decoder passes", beams).isEqualTo(2);
        }
    }

    @Test
    void theDefaultListenerNeverStops() {
        ScriptedLm lm = new ScriptedLm(h -> h.size() < 30 ? GeneratorTest.prefer(4, 5) : GeneratorTest.prefer(GeneratorTest.EOS, 5));
        GenerationResult r = new Generator(lm).run(new float[0], 0, List.of(new long[] {0}), GeneratorTest.params(40),
                TokenListener.NONE);
        assertThat(r.captions().getFirst().getFirst().tokens()).hasSize(29);
    }
}

package dev.blip2serve.quantize.transform;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Details of the scale planning that the end-to-end tests do not isolate. */
class ScalePlannerTest {

    @Test
    void deadChannelsTakeTheLeastActiveLiveChannelsStatistic() {
        assertThat(ScalePlanner.liveFloor(new float[] {0f, 3f, 0.5f, 0f, 2f})).containsExactly(0.5f, 3f, 0.5f, 0.5f, 2f);
        assertThat(ScalePlanner.liveFloor(new float[] {0f, 0f})).containsExactly(0f, 0f);
    }

    @Test
    void clippingSkipsTheLinearsThatMakeQueriesAndKeys() {
        assertThat(ScalePlanner.producesQueriesOrKeys("lm.layers.0.attn.q_proj")).isTrue();
        assertThat(ScalePlanner.producesQueriesOrKeys("lm.layers.0.attn.k_proj")).isTrue();
        assertThat(ScalePlanner.producesQueriesOrKeys("vision.layers.0.attn.qkv")).isTrue();
        assertThat(ScalePlanner.producesQueriesOrKeys("qformer.layers.0.cross_attn.key")).isTrue();
        assertThat(ScalePlanner.producesQueriesOrKeys("lm.layers.0.attn.v_proj")).isFalse();
        assertThat(ScalePlanner.producesQueriesOrKeys("qformer.layers.0.cross_attn.value")).isFalse();
        assertThat(ScalePlanner.producesQueriesOrKeys("lm.layers.0.fc2")).isFalse();
    }
}

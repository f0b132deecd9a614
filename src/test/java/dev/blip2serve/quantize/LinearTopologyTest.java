package dev.blip2serve.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.testing.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The linears of tiny-blip2 by shared input, with the fold of each group. */
class LinearTopologyTest {

    @Test
    void groupsAndFoldsOfTinyBlip2() {
        Blip2Config config = Blip2Config.read(Fixtures.TINY);
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.TINY)) {
            LinearTopology t = LinearTopology.of(config, new HfBlip2OptWeights(ckpt, config));
            // vision 2 x 4, Q-Former layer 0 (cross) 7 + layer 1 4, projection 1, OPT 2 x 4
            assertThat(t.groups()).hasSize(8 + 7 + 4 + 1 + 8);
            assertThat(t.groups(Scope.LLM)).hasSize(8).allMatch(g -> g.id().startsWith("lm."));
            assertThat(t.linears()).hasSize(2 * 4 + (10 + 6) + 1 + 2 * 6);

            InputGroup qkv = t.groupOf("lm.layers.1.attn.k_proj");
            assertThat(qkv.linears()).containsExactly("lm.layers.1.attn.q_proj", "lm.layers.1.attn.k_proj", "lm.layers.1.attn.v_proj");
            assertThat(qkv.fold()).isEqualTo(new InputGroup.IntoLayerNorm("lm.layers.1.self_attn_layer_norm"));
            assertThat(t.groupOf("lm.layers.1.attn.out_proj").fold()).isEqualTo(new InputGroup.IntoPrecedingLinear("lm.layers.1.attn.v_proj", 0));
            assertThat(t.groupOf("lm.layers.0.fc2").fold()).isEqualTo(new InputGroup.IntoPrecedingLinear("lm.layers.0.fc1", 0));
            assertThat(t.groupOf("lm.layers.0.fc2").k()).isEqualTo(128);

            assertThat(t.groupOf("vision.layers.0.attn.projection").fold())
                    .isEqualTo(new InputGroup.IntoPrecedingLinear("vision.layers.0.attn.qkv", 2 * 64));
            assertThat(t.groupOf("vision.layers.0.mlp.fc2").explicit()).isTrue();
            assertThat(t.groupOf("vision.layers.0.mlp.fc2").k()).isEqualTo(176);
            InputGroup kv = t.groupOf("qformer.layers.0.cross_attn.value");
            assertThat(kv.linears()).isEqualTo(List.of("qformer.layers.0.cross_attn.key", "qformer.layers.0.cross_attn.value"));
            assertThat(kv.explicit()).isTrue();
            assertThat(kv.k()).isEqualTo(64);
            assertThat(t.groupOf("qformer.layers.1.cross_attn.key")).isNull();
            assertThat(t.groupOf("projection").explicit()).isTrue();
            assertThat(t.groupOf("lm.embed_tokens")).isNull();
        }
    }

    @Test
    void selfAttentionGroupsKnowTheirAttention() {
        Blip2Config config = Blip2Config.read(Fixtures.TINY);
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.TINY)) {
            LinearTopology t = LinearTopology.of(config, new HfBlip2OptWeights(ckpt, config));
            SelfAttention opt = t.attentionOf(t.groupOf("lm.layers.1.attn.q_proj"));
            assertThat(opt).isEqualTo(SelfAttention.separate("lm.layers.1.attn.out_proj", config.text().heads(), true));
            // the ViT's fused qkv: q, k and v are row blocks of one weight
            SelfAttention vit = t.attentionOf(t.groupOf("vision.layers.0.attn.qkv"));
            assertThat(vit.output()).isEqualTo("vision.layers.0.attn.projection");
            assertThat(vit.causal()).isFalse();
            assertThat(List.of(vit.q().rowOffset(), vit.k().rowOffset(), vit.v().rowOffset())).containsExactly(0, 64, 128);
            assertThat(t.attentionOf(t.groupOf("qformer.layers.0.self_attn.key")))
                    .isEqualTo(SelfAttention.separate("qformer.layers.0.self_attn.dense", config.qformer().heads(), false));
            // cross-attention and every other group: no self-attention to inspect
            assertThat(t.attentionOf(t.groupOf("qformer.layers.0.cross_attn.key"))).isNull();
            assertThat(t.attentionOf(t.groupOf("lm.layers.1.fc1"))).isNull();
            assertThat(t.feedsSelfAttention("lm.layers.0.attn.v_proj")).isTrue();
            assertThat(t.feedsSelfAttention("lm.layers.0.attn.out_proj")).isFalse();
            assertThat(t.feedsSelfAttention("lm.embed_tokens")).isFalse();
        }
    }
}

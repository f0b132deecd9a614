package dev.blip2serve.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Bit-exact agreement with the NumPy/PyTorch version of the law (values computed by it, as float32 bits). */
class HashedWeightsTest {

    static int[] bits(String name, long start, int n, double offset, double amplitude) {
        float[] v = new float[n];
        HashedWeights.fill(name, start, v, offset, amplitude);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Test
    void matchesThePythonReferenceBitForBit() {
        assertThat(HashedWeights.fnv1a32("pixel_values")).isEqualTo(1887384366L);
        assertThat(bits("pixel_values", 0, 5, 0.0, 1.5))
                .containsExactly(0x3fb6950a, 0x3f1a6add, 0xbf87a386, 0x3fa55713, 0x3da2d7de);
        assertThat(bits("vision_model.post_layernorm.weight", 0, 5, 1.0, 0.1))
                .containsExactly(0x3f788bcf, 0x3f67320f, 0x3f8aed34, 0x3f6de095, 0x3f76fb43);
        assertThat(bits("language_model.model.decoder.embed_tokens.weight", 0, 5, 0.0, 0.02))
                .containsExactly(0x3b9a97b5, 0xba8e9334, 0x3c74d2af, 0xbc8d8ce9, 0xbc34672e);
        // The last element of a 130M-element tensor: indices past 2^31 would overflow an int counter.
        assertThat(bits("x", 129_999_999L, 1, 0.0, 0.02)).containsExactly(0x3c80d57f);
    }

    @Test
    void lawSeparatesLayerNormWeights() {
        assertThat(HashedWeights.law("vision_model.encoder.layers.0.layer_norm1.weight")).containsExactly(1.0, 0.1);
        assertThat(HashedWeights.law("qformer.encoder.layer.0.attention.output.LayerNorm.weight")).containsExactly(1.0, 0.1);
        assertThat(HashedWeights.law("qformer.layernorm.bias")).containsExactly(0.0, 0.02);
        assertThat(HashedWeights.law("language_model.model.decoder.layers.0.fc1.weight")).containsExactly(0.0, 0.02);
    }
}

package dev.blip2serve.quantize;

import dev.blip2serve.quantmath.AttentionBlockLoss;

/**
 * The self-attention behind a q/k/v group: where the queries, keys and values sit among the group's linears, the
 * output projection, and the mask. The scale searches measure such a group's error at the attention's output.
 *
 * @param output the output projection's linear name
 * @param heads  attention heads
 * @param causal OPT's causal mask; the ViT and the Q-Former's queries attend to every row
 * @param q      the queries' rows
 * @param k      the keys' rows
 * @param v      the values' rows
 */
public record SelfAttention(String output, int heads, boolean causal, AttentionBlockLoss.Slice q,
                            AttentionBlockLoss.Slice k, AttentionBlockLoss.Slice v) {

    /** Three separate projections, in the group's order q, k, v. */
    static SelfAttention separate(String output, int heads, boolean causal) {
        return new SelfAttention(output, heads, causal, new AttentionBlockLoss.Slice(0, 0),
                new AttentionBlockLoss.Slice(1, 0), new AttentionBlockLoss.Slice(2, 0));
    }

    /** One fused projection whose rows are q, then k, then v, each {@code width} wide (the EVA ViT's qkv). */
    static SelfAttention fused(String output, int heads, int width) {
        return new SelfAttention(output, heads, false, new AttentionBlockLoss.Slice(0, 0),
                new AttentionBlockLoss.Slice(0, width), new AttentionBlockLoss.Slice(0, 2 * width));
    }
}

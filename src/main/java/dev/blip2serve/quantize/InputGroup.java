package dev.blip2serve.quantize;

import java.util.List;

/**
 * Linears that read the same input tensor, and so share one smoothing / AWQ scale vector {@code s [K]}:
 * their weight columns are multiplied by {@code s} and their common input is divided by it.
 *
 * @param id      logical name of the group, e.g. {@code lm.layers.3.attn.qkv}
 * @param linears logical names of the linears ({@code lm.layers.3.attn.q_proj}, ...), in graph order
 * @param k       the shared input width K
 * @param fold    where the division of the input by {@code s} goes
 */
public record InputGroup(String id, List<String> linears, int k, Fold fold) {

    public InputGroup {
        linears = List.copyOf(linears);
        if (linears.isEmpty() || k <= 0) {
            throw new IllegalArgumentException("group " + id + " needs linears and a positive K");
        }
    }

    /** How {@code x / s} is realised without changing the float function. */
    public sealed interface Fold {
    }

    /** The input is a LayerNorm output read by these linears only: its gamma and beta are divided by s. */
    public record IntoLayerNorm(String layerNorm) implements Fold {
    }

    /**
     * The input is (a positively homogeneous function of) rows {@code [rowOffset, rowOffset + K)} of another
     * linear's output: those rows of its weight and bias are divided by s (v_proj for out_proj, fc1 through
     * ReLU for fc2, the value rows of a fused qkv for the attention output projection).
     */
    public record IntoPrecedingLinear(String linear, int rowOffset) implements Fold {
    }

    /** No exact fold: the graph multiplies the input by {@code 1/s} in an explicit Mul node before the linears. */
    public record ExplicitMul() implements Fold {
    }

    /** True when the input is divided by an explicit Mul node in the graph. */
    public boolean explicit() {
        return fold instanceof ExplicitMul;
    }
}

package dev.blip2serve.blip2;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.onnx.Dim;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;

/**
 * The OPT language model as one decoder step with a KV cache.
 *
 * <p>Inputs: {@code inputs_embeds [B, P', D]} (the projected image queries at prefill; zero-length
 * afterwards), {@code input_ids [B, S']} (token ids appended after them), {@code attention_mask [B, T]}
 * over past + new positions (T = past + P' + S'; zeros anywhere, e.g. left padding), the past keys and
 * values {@code past_key_values.i.key/value [B, H, past, hd]}, and {@code logits_to_keep [1]} (the last k
 * positions get logits; 1 while generating). Outputs: {@code logits [B, k, V]} and
 * {@code present.i.key/value [B, H, past + S, hd]}.
 *
 * <p>Positions follow HF OPT: {@code cumsum(mask) * mask - 1 + 2}, so padding does not shift them; the
 * causal mask also hides every masked key. The LM head shares the token embedding (Gemm with transB).
 */
public final class OptDecoderGraph {

    public static final String INPUTS_EMBEDS = "inputs_embeds";
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String LOGITS_TO_KEEP = "logits_to_keep";
    public static final String LOGITS = "logits";
    /** Input of {@link #buildLayers} after the first slice: the residual stream {@code [B, S, D]}. */
    public static final String HIDDEN_STATES = "hidden_states";
    /** Output of {@link #buildLayers}: the residual stream after its last layer. */
    public static final String HIDDEN_STATES_OUT = "hidden_states_out";

    /** HF's mask value: the most negative float32, so a fully masked row still softmaxes to numbers. */
    private static final float MASKED = -Float.MAX_VALUE;

    public static String pastKey(int layer) {
        return "past_key_values." + layer + ".key";
    }

    public static String pastValue(int layer) {
        return "past_key_values." + layer + ".value";
    }

    public static String presentKey(int layer) {
        return "present." + layer + ".key";
    }

    public static String presentValue(int layer) {
        return "present." + layer + ".value";
    }

    private final Blip2Config.OptConfig cfg;
    private final GraphWeights weights;
    private final LinearEmitter linears;
    private final Ops ops;
    /** The activations' element type (FLOAT unless fp16 compute); inputs, outputs and the mask stay float32. */
    private final ElementType at;

    private OptDecoderGraph(Blip2Config.OptConfig cfg, GraphWeights weights, LinearEmitter linears, GraphBuilder g) {
        this.cfg = cfg;
        this.weights = weights;
        this.linears = linears;
        this.ops = new Ops(g);
        this.at = weights.activationType("lm.");
    }

    public static GraphBuilder build(Blip2Config config, GraphWeights weights, LinearEmitter linears) {
        GraphBuilder g = new GraphBuilder("opt_decoder");
        new OptDecoderGraph(config.text(), weights, linears, g).emit();
        return g;
    }

    /**
     * Layers {@code [from, to)} of the decoder over whole sequences, without a KV cache and without the head: what a
     * calibration run needs, one slice of a large model at a time. Inputs: {@code inputs_embeds}, {@code input_ids}
     * and {@code attention_mask} for the slice starting at layer 0 (embeddings and positions included),
     * {@code hidden_states [B, S, D]} and {@code attention_mask [B, S]} for the others; output
     * {@code hidden_states_out [B, S, D]}, the residual stream after layer {@code to - 1}. Float32 compute only.
     */
    public static GraphBuilder buildLayers(Blip2Config config, GraphWeights weights, LinearEmitter linears, int from, int to) {
        Blip2Config.OptConfig cfg = config.text();
        if (from < 0 || to > cfg.layers() || from >= to) {
            throw new IllegalArgumentException("layers [" + from + ", " + to + ") are not a slice of " + cfg.layers());
        }
        if (weights.compute() != ComputePrecision.FP32) {
            throw new IllegalArgumentException("decoder slices compute in float32");
        }
        GraphBuilder g = new GraphBuilder("opt_decoder_layers_" + from + "_" + to);
        new OptDecoderGraph(cfg, weights, linears, g).emitLayers(from, to);
        return g;
    }

    private void emitLayers(int from, int to) {
        GraphBuilder g = ops.graph();
        Dim batch = Dim.of("batch");
        Dim d = Dim.of(cfg.hiddenSize());
        Value h;
        Value mask;
        try (var s = g.scope("lm")) {
            if (from == 0) {
                Value prefix = g.input(INPUTS_EMBEDS, ElementType.FLOAT, batch, Dim.of("prefix_sequence"), d);
                Value ids = g.input(INPUT_IDS, ElementType.INT64, batch, Dim.of("token_sequence"));
                mask = g.input(ATTENTION_MASK, ElementType.INT64, batch, Dim.of("sequence"));
                h = embed(prefix, ids, mask);
            } else {
                h = g.input(HIDDEN_STATES, ElementType.FLOAT, batch, Dim.of("sequence"), d);
                mask = g.input(ATTENTION_MASK, ElementType.INT64, batch, Dim.of("sequence"));
            }
            Value bias;
            try (var s2 = g.scope("causal_mask")) {
                bias = causalBias(mask, ops.dim(h, 1), g.constInt64(0));                       // [B, 1, S, S]
            }
            for (int i = from; i < to; i++) {
                try (var s2 = g.scope("layers." + i)) {
                    h = layer(h, bias, null, null, i);
                }
            }
        }
        g.output(h, HIDDEN_STATES_OUT, ElementType.FLOAT, batch, Dim.of("sequence"), d);
    }

    /** Token embeddings after the prefix, plus learned positions: {@code [B, P' + S', D]}. */
    private Value embed(Value prefix, Value ids, Value mask) {
        GraphBuilder g = ops.graph();
        Value h;
        try (var s = g.scope("embed_tokens")) {
            h = ops.concat(1, prefix, ops.gather(weights.param(ops, "lm.embed_tokens"), ids, 0));  // [B, S, D]
        }
        try (var s = g.scope("embed_positions")) {
            return ops.add(h, positions(mask, ops.dim(h, 1)));
        }
    }

    private void emit() {
        GraphBuilder g = ops.graph();
        int d = cfg.hiddenSize();
        Dim batch = Dim.of("batch");
        Dim past = Dim.of("past_sequence");
        Dim total = Dim.of("total_sequence");
        Dim present = Dim.of("present_sequence");
        Dim heads = Dim.of(cfg.heads());
        Dim headDim = Dim.of(cfg.headDim());
        Value prefixInput = g.input(INPUTS_EMBEDS, ElementType.FLOAT, batch, Dim.of("prefix_sequence"), Dim.of(d));
        Value ids = g.input(INPUT_IDS, ElementType.INT64, batch, Dim.of("token_sequence"));
        Value mask = g.input(ATTENTION_MASK, ElementType.INT64, batch, total);
        Value[] pastK = new Value[cfg.layers()];
        Value[] pastV = new Value[cfg.layers()];
        for (int i = 0; i < cfg.layers(); i++) {
            pastK[i] = g.input(pastKey(i), ElementType.FLOAT, batch, heads, past, headDim);
            pastV[i] = g.input(pastValue(i), ElementType.FLOAT, batch, heads, past, headDim);
        }
        Value keep = g.input(LOGITS_TO_KEEP, ElementType.INT64, Dim.of(1));
        // the interface stays float32 whatever the compute type: the runtime feeds and reads float32
        Value prefix = ops.cast(prefixInput, ElementType.FLOAT, at);
        for (int i = 0; i < cfg.layers(); i++) {
            pastK[i] = ops.cast(pastK[i], ElementType.FLOAT, at);
            pastV[i] = ops.cast(pastV[i], ElementType.FLOAT, at);
        }

        Value h;
        Value bias;
        try (var s = g.scope("lm")) {
            h = embed(prefix, ids, mask);
            Value seq = ops.dim(h, 1);
            try (var s2 = g.scope("causal_mask")) {
                bias = causalBias(mask, seq, ops.dim(pastK[0], 2));                             // [B, 1, S, T] float32
            }
            for (int i = 0; i < cfg.layers(); i++) {
                try (var s2 = g.scope("layers." + i)) {
                    h = layer(h, bias, pastK[i], pastV[i], i);
                }
            }
            try (var s2 = g.scope("logits")) {
                Value start = ops.sub(g.constInt64(0), keep);
                h = ops.slice(h, start, g.constInt64(Long.MAX_VALUE), g.constInt64(1));          // [B, k, D]
            }
            if (cfg.layerNormBefore() && !cfg.removeFinalLayerNorm()) {
                try (var s2 = g.scope("final_layer_norm")) {
                    h = layerNorm(h, "lm.final_layer_norm");
                }
            }
            try (var s2 = g.scope("lm_head")) {
                h = lmHead(h);
            }
        }
        g.output(ops.cast(h, at, ElementType.FLOAT), LOGITS, ElementType.FLOAT, batch, Dim.of("kept_sequence"), Dim.of(cfg.vocabSize()));
    }

    /** OPT learned positions of the S newest tokens: embed_positions[cumsum(mask) * mask - 1 + 2]. */
    private Value positions(Value mask, Value seq) {
        GraphBuilder g = ops.graph();
        Value cum = ops.cumSum(mask, g.constInt64Scalar(1));
        Value pos = ops.sub(ops.mul(cum, mask), g.constInt64(1));                                // [B, T]
        pos = ops.slice(pos, ops.sub(g.constInt64(0), seq), g.constInt64(Long.MAX_VALUE), g.constInt64(1)); // [B, S]
        pos = ops.add(pos, g.constInt64(Blip2Config.OptConfig.POSITION_OFFSET));
        return ops.gather(weights.param(ops, "lm.embed_positions"), pos, 0);                     // [B, S, D]
    }

    /** 0 where query i (absolute position past + i) may see key j (j <= past + i and mask[j] = 1), else MASKED. */
    private Value causalBias(Value mask, Value seq, Value pastLen) {
        GraphBuilder g = ops.graph();
        Value total = ops.dim(mask, 1);
        Value zero = g.constInt64Scalar(0);
        Value one = g.constInt64Scalar(1);
        Value qPos = ops.range(ops.squeeze(pastLen, 0), ops.squeeze(ops.add(pastLen, seq), 0), one);  // [S]
        Value kPos = ops.range(zero, ops.squeeze(total, 0), one);                                     // [T]
        Value causal = ops.lessOrEqual(ops.unsqueeze(kPos, 0), ops.unsqueeze(qPos, 1));              // [S, T]
        Value visible = ops.equal(mask, g.constInt64(1));                                              // [B, T]
        Value allowed = ops.and(ops.unsqueeze(visible, 1, 2), causal);                                // [B, 1, S, T]
        return ops.where(allowed, g.constFloat(0f), g.constFloat(MASKED));
    }

    private Value layer(Value h, Value bias, Value pastK, Value pastV, int i) {
        GraphBuilder g = ops.graph();
        String p = "lm.layers." + i;
        int d = cfg.hiddenSize();
        Value residual = h;
        if (cfg.layerNormBefore()) {
            try (var s = g.scope("self_attn_layer_norm")) {
                h = layerNorm(h, p + ".self_attn_layer_norm");
            }
        }
        try (var s = g.scope("attn")) {
            Value q;
            Value k;
            Value v;
            try (var s2 = g.scope("q_proj")) {
                q = ops.mul(linears.linear(ops, h, p + ".attn.q_proj"), g.constant(at, (float) Math.pow(cfg.headDim(), -0.5)));
                q = Attention.splitHeads(ops, q, cfg.heads(), cfg.headDim());
            }
            try (var s2 = g.scope("k_proj")) {
                k = Attention.splitHeads(ops, linears.linear(ops, h, p + ".attn.k_proj"), cfg.heads(), cfg.headDim());
            }
            try (var s2 = g.scope("v_proj")) {
                v = Attention.splitHeads(ops, linears.linear(ops, h, p + ".attn.v_proj"), cfg.heads(), cfg.headDim());
            }
            if (pastK != null) {
                try (var s2 = g.scope("cache")) {
                    k = ops.concat(2, pastK, k);
                    v = ops.concat(2, pastV, v);
                    present(k, presentKey(i));
                    present(v, presentValue(i));
                }
            }
            Value ctx = Attention.mergeHeads(ops, Attention.scores(ops, q, k, v, Attention.Scaling.NONE, 1f, bias, at), d);
            try (var s2 = g.scope("out_proj")) {
                h = ops.add(residual, linears.linear(ops, ctx, p + ".attn.out_proj"));
            }
        }
        if (!cfg.layerNormBefore()) {
            try (var s = g.scope("self_attn_layer_norm")) {
                h = layerNorm(h, p + ".self_attn_layer_norm");
            }
        }
        residual = h;
        if (cfg.layerNormBefore()) {
            try (var s = g.scope("final_layer_norm")) {
                h = layerNorm(h, p + ".final_layer_norm");
            }
        }
        try (var s = g.scope("mlp")) {
            try (var s2 = g.scope("fc1")) {
                h = linears.linear(ops, h, p + ".fc1");
                h = cfg.activation().equals("relu") ? ops.relu(h) : ops.gelu(h);
            }
            try (var s2 = g.scope("fc2")) {
                h = ops.add(residual, linears.linear(ops, h, p + ".fc2"));
            }
        }
        if (!cfg.layerNormBefore()) {
            try (var s = g.scope("final_layer_norm")) {
                h = layerNorm(h, p + ".final_layer_norm");
            }
        }
        return h;
    }

    /** A layer's keys or values {@code [B, H, past + S, hd]} as a float32 graph output. */
    private void present(Value x, String name) {
        ops.graph().output(ops.cast(x, at, ElementType.FLOAT), name, ElementType.FLOAT, Dim.of("batch"), Dim.of(cfg.heads()),
                Dim.of("present_sequence"), Dim.of(cfg.headDim()));
    }

    /** logits = h E^T through the linear emitter: the tied embedding table, or the checkpoint's separate head. */
    private Value lmHead(Value h) {
        GraphBuilder g = ops.graph();
        String table = weights.source().has("lm.lm_head.weight") ? "lm.lm_head.weight" : "lm.embed_tokens";
        Value flat = ops.reshape(h, -1, cfg.hiddenSize());                                             // [B*k, D]
        Value logits = linears.lmHead(ops, weights, flat, table);                                      // [B*k, V]
        Value outShape = ops.concat(0, ops.shape(h, 0, 2), g.constInt64(cfg.vocabSize()));
        return ops.reshape(logits, outShape);                                                          // [B, k, V]
    }

    private Value layerNorm(Value x, String p) {
        return ops.layerNorm(x, weights.smallParam(ops, p + ".weight"), weights.smallParam(ops, p + ".bias"), 1e-5);
    }
}

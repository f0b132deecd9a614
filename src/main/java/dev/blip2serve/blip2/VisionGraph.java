package dev.blip2serve.blip2;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.onnx.Dim;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;

/**
 * The image side of BLIP-2 as one graph: {@code pixel_values [B,3,H,W]} -> EVA ViT -> Q-Former ->
 * language projection -> {@code query_embeds [B,Q,D_lm]}, the prefix the language model reads.
 * The ViT and Q-Former outputs are graph outputs too, for parity checks and calibration.
 */
public final class VisionGraph {

    public static final String PIXEL_VALUES = "pixel_values";
    public static final String QUERY_EMBEDS = "query_embeds";
    public static final String VISION_HIDDEN = "vision_last_hidden_state";
    public static final String QFORMER_HIDDEN = "qformer_last_hidden_state";

    private final Blip2Config config;
    private final GraphWeights weights;
    private final LinearEmitter linears;
    private final Ops ops;
    /** Activation types of the ViT, the Q-Former and the language projection (all FLOAT unless fp16 compute). */
    private final ElementType vt;
    private final ElementType qt;
    private final ElementType pt;

    private VisionGraph(Blip2Config config, GraphWeights weights, LinearEmitter linears, GraphBuilder g) {
        this.config = config;
        this.weights = weights;
        this.linears = linears;
        this.ops = new Ops(g);
        this.vt = weights.activationType("vision.");
        this.qt = weights.activationType("qformer.");
        this.pt = weights.activationType("projection.");
    }

    /** Builds the graph; {@code linears} decides how each linear layer computes (float or quantized). */
    public static GraphBuilder build(Blip2Config config, GraphWeights weights, LinearEmitter linears) {
        GraphBuilder g = new GraphBuilder("blip2_vision");
        new VisionGraph(config, weights, linears, g).emit();
        return g;
    }

    private void emit() {
        GraphBuilder g = ops.graph();
        Blip2Config.VisionConfig vc = config.vision();
        Dim batch = Dim.of("batch");
        Value pixels = g.input(PIXEL_VALUES, ElementType.FLOAT, batch, Dim.of(3), Dim.of(vc.imageSize()), Dim.of(vc.imageSize()));
        Value image;
        try (var s = g.scope("vision")) {
            image = vision(ops.cast(pixels, ElementType.FLOAT, vt));
        }
        Value queries;
        try (var s = g.scope("qformer")) {
            queries = qformer(ops.cast(image, vt, qt), pixels);
        }
        Value projected;
        try (var s = g.scope("projection")) {
            projected = linears.linear(ops, ops.cast(queries, qt, pt), "projection");
        }
        try (var s = g.scope("outputs")) {
            g.output(ops.cast(image, vt, ElementType.FLOAT), VISION_HIDDEN, ElementType.FLOAT, batch, Dim.of(vc.tokens()), Dim.of(vc.hiddenSize()));
            g.output(ops.cast(queries, qt, ElementType.FLOAT), QFORMER_HIDDEN, ElementType.FLOAT, batch, Dim.of(config.numQueryTokens()), Dim.of(config.qformer().hiddenSize()));
            g.output(ops.cast(projected, pt, ElementType.FLOAT), QUERY_EMBEDS, ElementType.FLOAT, batch, Dim.of(config.numQueryTokens()), Dim.of(config.text().hiddenSize()));
        }
    }

    /** EVA ViT: patches + class token + positions, pre-LN layers, post LayerNorm on every token. */
    private Value vision(Value pixels) {
        GraphBuilder g = ops.graph();
        Blip2Config.VisionConfig vc = config.vision();
        int d = vc.hiddenSize();
        Value h;
        try (var s = g.scope("embeddings")) {
            Value patches = ops.conv(pixels, weights.param(ops, "vision.patch_embed.weight"),
                    weights.smallParam(ops, "vision.patch_embed.bias"), vc.patchSize(), vc.patchSize()); // [B, D, h, w]
            patches = ops.transpose(ops.reshape(patches, 0, d, -1), 0, 2, 1);                    // [B, N, D]
            Value batch = ops.dim(pixels, 0);
            Value cls = ops.expand(weights.param(ops, "vision.class_embed"),
                    ops.concat(0, batch, g.constInt64(1, d)));                                    // [B, 1, D]
            h = ops.add(ops.concat(1, cls, patches), weights.param(ops, "vision.pos_embed"));    // [B, T, D]
        }
        for (int i = 0; i < vc.layers(); i++) {
            try (var s = g.scope("layers." + i)) {
                h = visionLayer(h, "vision.layers." + i);
            }
        }
        try (var s = g.scope("post_layernorm")) {
            return layerNorm(h, "vision.post_layernorm", vc.layerNormEps());
        }
    }

    private Value visionLayer(Value h, String p) {
        GraphBuilder g = ops.graph();
        Blip2Config.VisionConfig vc = config.vision();
        int d = vc.hiddenSize();
        Value x;
        try (var s = g.scope("layer_norm1")) {
            x = layerNorm(h, p + ".layer_norm1", vc.layerNormEps());
        }
        try (var s = g.scope("attn")) {
            Value qkv;
            try (var s2 = g.scope("qkv")) {
                qkv = linears.linear(ops, x, p + ".attn.qkv");                                   // [B, T, 3D]
            }
            qkv = ops.transpose(ops.reshape(qkv, 0, 0, 3, vc.heads(), vc.headDim()), 2, 0, 3, 1, 4); // [3, B, H, T, hd]
            Value q = ops.gather(qkv, g.constInt64Scalar(0), 0);
            Value k = ops.gather(qkv, g.constInt64Scalar(1), 0);
            Value v = ops.gather(qkv, g.constInt64Scalar(2), 0);
            Value ctx = Attention.scores(ops, q, k, v, Attention.Scaling.MULTIPLY,
                    (float) Math.pow(vc.headDim(), -0.5), null, vt);
            ctx = Attention.mergeHeads(ops, ctx, d);
            try (var s2 = g.scope("projection")) {
                h = ops.add(h, linears.linear(ops, ctx, p + ".attn.projection"));
            }
        }
        try (var s = g.scope("layer_norm2")) {
            x = layerNorm(h, p + ".layer_norm2", vc.layerNormEps());
        }
        try (var s = g.scope("mlp")) {
            Value m;
            try (var s2 = g.scope("fc1")) {
                m = ops.gelu(linears.linear(ops, x, p + ".mlp.fc1"));
            }
            try (var s2 = g.scope("fc2")) {
                m = linears.linear(ops, m, p + ".mlp.fc2");
            }
            return ops.add(h, m);
        }
    }

    /** Q-Former: learned queries, LayerNorm, post-LN BERT layers with cross-attention to the image. */
    private Value qformer(Value image, Value pixels) {
        GraphBuilder g = ops.graph();
        Blip2Config.QFormerConfig qc = config.qformer();
        Value h;
        try (var s = g.scope("embeddings")) {
            Value queries = layerNorm(weights.param(ops, "qformer.query_tokens"), "qformer.layernorm", qc.layerNormEps()); // [1, Q, d]
            h = ops.expand(queries, ops.concat(0, ops.dim(pixels, 0), g.constInt64(config.numQueryTokens(), qc.hiddenSize())));
        }
        for (int i = 0; i < qc.layers(); i++) {
            try (var s = g.scope("layers." + i)) {
                String p = "qformer.layers." + i;
                try (var s2 = g.scope("self_attn")) {
                    h = bertAttention(h, h, p + ".self_attn");
                }
                if (qc.hasCrossAttention(i)) {
                    try (var s2 = g.scope("cross_attn")) {
                        h = bertAttention(h, image, p + ".cross_attn");
                    }
                }
                try (var s2 = g.scope("ffn")) {
                    Value m;
                    try (var s3 = g.scope("fc1")) {
                        m = ops.gelu(linears.linear(ops, h, p + ".ffn.fc1"));
                    }
                    try (var s3 = g.scope("fc2")) {
                        m = linears.linear(ops, m, p + ".ffn.fc2");
                    }
                    try (var s3 = g.scope("layer_norm")) {
                        h = layerNorm(ops.add(m, h), p + ".ffn.layer_norm", qc.layerNormEps());
                    }
                }
            }
        }
        return h;
    }

    /** BERT attention block: LayerNorm(dense(attn(h, kv)) + h); the scores are divided by sqrt(hd) as BERT does. */
    private Value bertAttention(Value h, Value kv, String p) {
        GraphBuilder g = ops.graph();
        Blip2Config.QFormerConfig qc = config.qformer();
        Value q;
        Value k;
        Value v;
        try (var s = g.scope("query")) {
            q = Attention.splitHeads(ops, linears.linear(ops, h, p + ".query"), qc.heads(), qc.headDim());
        }
        try (var s = g.scope("key")) {
            k = Attention.splitHeads(ops, linears.linear(ops, kv, p + ".key"), qc.heads(), qc.headDim());
        }
        try (var s = g.scope("value")) {
            v = Attention.splitHeads(ops, linears.linear(ops, kv, p + ".value"), qc.heads(), qc.headDim());
        }
        Value ctx = Attention.mergeHeads(ops,
                Attention.scores(ops, q, k, v, Attention.Scaling.DIVIDE, (float) Math.sqrt(qc.headDim()), null, qt),
                qc.hiddenSize());
        Value out;
        try (var s = g.scope("dense")) {
            out = linears.linear(ops, ctx, p + ".dense");
        }
        try (var s = g.scope("layer_norm")) {
            return layerNorm(ops.add(out, h), p + ".layer_norm", qc.layerNormEps());
        }
    }

    private Value layerNorm(Value x, String p, double eps) {
        return ops.layerNorm(x, weights.smallParam(ops, p + ".weight"), weights.smallParam(ops, p + ".bias"), eps);
    }
}

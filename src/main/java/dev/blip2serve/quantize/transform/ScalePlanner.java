package dev.blip2serve.quantize.transform;

import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.quantmath.AttentionBlockLoss;
import dev.blip2serve.quantmath.AwqClipSearch;
import dev.blip2serve.quantmath.AwqSearch;
import dev.blip2serve.quantmath.FloatMatrix;
import dev.blip2serve.quantmath.GroupAwareSmoothSearch;
import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.SearchGrid;
import dev.blip2serve.quantmath.SmoothQuant;
import dev.blip2serve.quantize.InputGroup;
import dev.blip2serve.quantize.LinearTopology;
import dev.blip2serve.quantize.Preset;
import dev.blip2serve.quantize.Recipe;
import dev.blip2serve.quantize.SelfAttention;
import dev.blip2serve.quantize.calibration.ActivationStats;
import dev.blip2serve.quantize.calibration.CalibrationResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the per-group scales of a {@link Recipe} from calibration statistics, on the unscaled weights (as
 * llm-awq and smoothquant do: every group's search sees the original model; the folds are exact, and dividing
 * whole weight rows leaves per-row and per-group quantization unchanged):
 * <ul>
 *   <li>SmoothQuant: {@code s = max|X|^alpha / max|W|^(1-alpha)} per group;</li>
 *   <li>AWQ: {@link AwqSearch} per group, then {@link AwqClipSearch} per linear on the fully scaled weight
 *       (skipping linears that produce attention queries or keys, as llm-awq does);</li>
 *   <li>group-aware: {@link GroupAwareSmoothSearch} per group with the variant's weight and activation quantizers.</li>
 * </ul>
 * Both searches measure a self-attention's q/k/v group at the attention's output ({@link AttentionBlockLoss}, on
 * whole calibration sequences) and every other group at its linears' outputs.
 */
public final class ScalePlanner {

    private ScalePlanner() {
    }

    /** @param progress told "search", groups done, groups in all */
    public static ScalePlan plan(Recipe recipe, LinearTopology topology, WeightSource base, CalibrationResult calib,
                                 ProgressListener progress) {
        if (recipe.preset().method() == Preset.Method.RTN) {
            return ScalePlan.none();
        }
        List<InputGroup> groups = topology.groups(recipe.scope());
        Map<String, float[]> scales = new LinkedHashMap<>();
        List<Map<String, Object>> records = new ArrayList<>();
        int done = 0;
        progress.progress("search", 0, groups.size());
        for (InputGroup g : groups) {
            ActivationStats stats = calib.of(g.linears().getFirst());
            List<FloatMatrix> weights = new ArrayList<>();
            for (String l : g.linears()) {
                weights.add(FloatMatrix.of(base.load(l + ".weight"), topology.outFeatures(l), g.k()));
            }
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("group", g.id());
            rec.put("linears", g.linears());
            rec.put("fold", foldWords(g));
            switch (recipe.preset().method()) {
                case SMOOTHQUANT -> {
                    scales.put(g.id(), SmoothQuant.scales(liveFloor(stats.absMax()), weights, recipe.alpha()));
                    rec.put("alpha", recipe.alpha());
                }
                case AWQ -> {
                    AttentionBlockLoss block = attentionLoss(g, weights, topology, base, stats);
                    float[] meanAbs = liveFloor(stats.meanAbs());
                    AwqSearch.Result r = block != null
                            ? AwqSearch.search(block, meanAbs, recipe.weightSpec(), SearchGrid.DEFAULT)
                            : AwqSearch.search(weights, stats.sample(), meanAbs, recipe.weightSpec());
                    rec.put("loss_at", lossAt(block));
                    scales.put(g.id(), r.scales());
                    rec.put("best_ratio", r.bestRatio());
                    rec.put("loss", r.bestLoss());
                    rec.put("rtn_loss", r.rtnLoss());
                    rec.put("losses", round(r.losses()));
                }
                case GROUP_AWARE -> {
                    AttentionBlockLoss block = attentionLoss(g, weights, topology, base, stats);
                    float[] absMax = liveFloor(stats.absMax());
                    GroupAwareSmoothSearch.Result r = block != null
                            ? GroupAwareSmoothSearch.search(block, absMax, recipe.weightSpec(),
                                    recipe.fakeActivationSpec(), SearchGrid.DEFAULT)
                            : GroupAwareSmoothSearch.search(weights, stats.sample(), absMax, recipe.weightSpec(),
                                    recipe.fakeActivationSpec());
                    rec.put("loss_at", lossAt(block));
                    scales.put(g.id(), r.scales());
                    rec.put("best_alpha", r.bestAlpha());
                    rec.put("loss", r.bestLoss());
                    rec.put("loss_alpha_0.5", r.lossAt(0.5));
                    rec.put("unsmoothed_loss", r.unsmoothedLoss());
                    rec.put("losses", round(r.losses()));
                }
                case RTN -> throw new IllegalStateException("unreachable");
            }
            records.add(rec);
            progress.progress("search", ++done, groups.size());
        }
        Map<String, ScaledWeights.Clip> clips = recipe.clip()
                ? clip(recipe, topology, base, calib, scales, records, progress) : Map.of();
        return new ScalePlan(scales, clips, records);
    }

    /**
     * The attention-output loss for a self-attention's q/k/v group (llm-awq's {@code module2inspect}), or null for
     * any other group, or when calibration kept spread rows instead of whole sequences for it.
     */
    private static AttentionBlockLoss attentionLoss(InputGroup g, List<FloatMatrix> weights, LinearTopology topology,
                                                    WeightSource base, ActivationStats stats) {
        SelfAttention a = topology.attentionOf(g);
        if (a == null || !stats.wholeSequences()) {
            return null;
        }
        List<float[]> biases = new ArrayList<>();
        for (String l : g.linears()) {
            biases.add(base.has(l + ".bias") ? base.load(l + ".bias") : null);
        }
        FloatMatrix out = FloatMatrix.of(base.load(a.output() + ".weight"), topology.outFeatures(a.output()),
                topology.inFeatures(a.output()));
        AttentionBlockLoss.Block block = new AttentionBlockLoss.Block(weights, biases, a.q(), a.k(), a.v(), out,
                a.heads(), a.causal());
        return new AttentionBlockLoss(block, stats.sample(), stats.sequenceLengths());
    }

    private static String lossAt(AttentionBlockLoss block) {
        return block != null ? "attention output" : "linear outputs";
    }

    /**
     * Channels never active on the calibration set (dead ReLU units before fc2 are common) would get
     * SmoothQuant's floor scale 1e-5 (AWQ's: 1e-4 before normalisation): any activation they show later is then
     * multiplied by up to 1e5 and swamps the per-token activation scale. Such channels get the statistic of the
     * least active channel that was seen instead; every scale is exact in float, so this changes nothing on the
     * calibration set.
     */
    static float[] liveFloor(float[] stat) {
        float min = Float.POSITIVE_INFINITY;
        for (float v : stat) {
            if (v > 0f && v < min) {
                min = v;
            }
        }
        if (min == Float.POSITIVE_INFINITY) {
            return stat;
        }
        float[] out = stat.clone();
        for (int j = 0; j < out.length; j++) {
            if (!(out[j] > 0f)) {
                out[j] = min;
            }
        }
        return out;
    }

    /** AWQ's clipping search on {@code W * s} (rows folded too) against {@code X / s}. */
    private static Map<String, ScaledWeights.Clip> clip(Recipe recipe, LinearTopology topology, WeightSource base,
                                                         CalibrationResult calib, Map<String, float[]> scales,
                                                         List<Map<String, Object>> records, ProgressListener progress) {
        ScaledWeights scaled = new ScaledWeights(base, topology, scales, Map.of());
        QuantSpec spec = recipe.weightSpec();
        Map<String, ScaledWeights.Clip> clips = new LinkedHashMap<>();
        List<InputGroup> groups = topology.groups(recipe.scope());
        int done = 0;
        progress.progress("clip", 0, groups.size());
        for (int gi = 0; gi < groups.size(); gi++) {
            InputGroup g = groups.get(gi);
            FloatMatrix x = null;
            List<Map<String, Object>> clipped = new ArrayList<>();
            for (String l : g.linears()) {
                if (producesQueriesOrKeys(l)) {
                    continue;
                }
                if (x == null) {
                    FloatMatrix sample = calib.of(l).sample();
                    float[] xs = sample.data().clone();
                    SmoothQuant.divideColumns(xs, sample.rows(), sample.cols(), scales.get(g.id()));
                    x = FloatMatrix.of(xs, sample.rows(), sample.cols());
                }
                int n = topology.outFeatures(l);
                float[] w = scaled.load(l + ".weight");
                float[] max = AwqClipSearch.search(FloatMatrix.of(w, n, g.k()), x, spec);
                int groupLength = spec.blockLength(g.k());
                clips.put(l, new ScaledWeights.Clip(groupLength, max));
                clipped.add(Map.of("linear", l, "mean_clip_ratio", meanRatio(w, g.k(), groupLength, max)));
            }
            if (!clipped.isEmpty()) {
                records.get(gi).put("clip", clipped);
            }
            progress.progress("clip", ++done, groups.size());
        }
        return clips;
    }

    /** Mean over blocks of {@code clip / max|w|} (1 = nothing clipped). */
    private static double meanRatio(float[] w, int k, int groupLength, float[] max) {
        double sum = 0;
        for (int b = 0; b < max.length; b++) {
            int row = b / (k / groupLength);
            int start = row * k + (b % (k / groupLength)) * groupLength;
            float m = 0f;
            for (int i = start; i < start + groupLength; i++) {
                m = Math.max(m, Math.abs(w[i]));
            }
            sum += m == 0f ? 1.0 : max[b] / m;
        }
        return Math.round(sum / max.length * 1e6) / 1e6;
    }

    /** llm-awq skips q and k: their error passes through q·k, which the clip loss does not see. */
    static boolean producesQueriesOrKeys(String linear) {
        return linear.endsWith(".q_proj") || linear.endsWith(".k_proj") || linear.endsWith(".attn.qkv")
                || linear.endsWith(".query") || linear.endsWith(".key");
    }

    private static String foldWords(InputGroup g) {
        return switch (g.fold()) {
            case InputGroup.IntoLayerNorm ln -> "layernorm " + ln.layerNorm();
            case InputGroup.IntoPrecedingLinear p -> "rows of " + p.linear();
            case InputGroup.ExplicitMul e -> "explicit Mul";
        };
    }

    private static List<Double> round(double[] v) {
        List<Double> out = new ArrayList<>(v.length);
        for (double d : v) {
            out.add(Double.parseDouble(String.format(java.util.Locale.ROOT, "%.6g", d)));
        }
        return out;
    }
}

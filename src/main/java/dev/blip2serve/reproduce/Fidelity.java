package dev.blip2serve.reproduce;

import ai.onnxruntime.OrtException;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How close a variant's next-token distributions are to the fp32 variant's, teacher-forced on the fp32 variant's
 * own greedy captions: mean KL(fp32 || variant) and top-1 agreement over every text position (BOS and each
 * caption token, predicting the next one). A continuous measure, far less noisy than caption metrics when the
 * variants are close. The fp32 log-probabilities of the items are held in memory ({@code items * tokens * vocab}).
 */
public final class Fidelity {

    /**
     * @param top1 fraction of positions with the same argmax
     * @param kl   the KL divergence (nats) of every position, in the same order for every variant (for paired
     *             comparisons)
     */
    public record Result(double top1, double[] kl) {

        /** Mean KL divergence in nats. */
        public double meanKl() {
            double sum = 0;
            for (double d : kl) {
                sum += d;
            }
            return sum / kl.length;
        }

        public int positions() {
            return kl.length;
        }

        /** Standard error of the mean of {@code this.kl - other.kl} over the positions both measured. */
        public double pairedStandardError(Result other) {
            if (other.kl.length != kl.length) {
                return Double.NaN;
            }
            double[] d = new double[kl.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = kl[i] - other.kl[i];
            }
            return Paired.standardError(d);
        }
    }

    private final Blip2Config config;
    private final List<float[]> pixels = new ArrayList<>();
    private final List<long[]> tokens = new ArrayList<>();
    private final List<float[][]> reference;

    /** Captions {@code items} greedily with the fp32 variant and keeps its log-probabilities along them. */
    public Fidelity(Path fp32, List<EvalDataset.Item> items, int maxNewTokens) throws IOException {
        this.config = Blip2Config.read(fp32);
        try (Blip2Model m = Blip2Model.open(fp32, OrtOptions.cpu(), false)) {
            long[] bos = m.tokenizer().encode("");
            for (EvalDataset.Item item : items) {
                float[] p = m.preprocessor().preprocess(Files.readAllBytes(item.image()));
                long[] gen = m.caption(List.of(p), List.of(""), m.defaultParams(maxNewTokens)).images().getFirst().best().tokens();
                long[] ids = Arrays.copyOf(bos, bos.length + gen.length);
                System.arraycopy(gen, 0, ids, bos.length, gen.length);
                pixels.add(p);
                tokens.add(ids);
            }
        }
        this.reference = logProbs(fp32);
    }

    /** Compares a variant with the fp32 reference. */
    public Result compare(Path variant) throws IOException {
        List<float[][]> got = logProbs(variant);
        List<Double> perPosition = new ArrayList<>();
        int same = 0;
        for (int i = 0; i < got.size(); i++) {
            for (int r = 0; r < got.get(i).length; r++) {
                float[] p = reference.get(i)[r];
                float[] q = got.get(i)[r];
                double d = 0;
                for (int v = 0; v < p.length; v++) {
                    d += Math.exp(p[v]) * ((double) p[v] - q[v]);
                }
                perPosition.add(d);
                same += argmax(p) == argmax(q) ? 1 : 0;
            }
        }
        return new Result((double) same / perPosition.size(), perPosition.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private List<float[][]> logProbs(Path variant) throws IOException {
        var t = config.text();
        int q = config.numQueryTokens();
        int vocab = t.vocabSize();
        List<float[][]> out = new ArrayList<>();
        try (VisionRunner vision = new VisionRunner(variant.resolve(VariantFiles.VISION), config.vision().imageSize(), OrtOptions.cpu());
             OrtCausalLm lm = new OrtCausalLm(variant.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(),
                     vocab, OrtOptions.cpu())) {
            for (int i = 0; i < pixels.size(); i++) {
                float[] prefix = vision.queryEmbeds(pixels.get(i), 1);
                long[] ids = tokens.get(i);
                long[] mask = new long[q + ids.length];
                Arrays.fill(mask, 1L);
                float[] logits = lm.logits(prefix, q, ids, ids.length, mask, 1, ids.length);   // [1, tokens, V]
                float[][] rows = new float[ids.length][];
                for (int r = 0; r < ids.length; r++) {
                    rows[r] = logSoftmax(logits, r * vocab, vocab);
                }
                out.add(rows);
            }
        } catch (OrtException e) {
            throw new IOException(variant + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static float[] logSoftmax(float[] v, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(v[off + i] - max);
        }
        double log = Math.log(sum) + max;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (v[off + i] - log);
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}

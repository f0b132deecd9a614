package dev.blip2serve.eval;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.eval.metrics.CaptionScoring;
import dev.blip2serve.eval.metrics.CaptionScores;
import dev.blip2serve.generation.GenerationParams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Captions every item of a dataset with one variant (and answers its question where it has one), then scores
 * the captions (CIDEr-D, BLEU, ROUGE-L, exact match) and the answers (QA accuracy).
 */
public final class EvalRunner {

    /** What one item produced. */
    public record ItemResult(String id, String caption, String answer, double captionMs) {
    }

    /**
     * @param captionLatencyMs per-image caption latency (preprocess + vision + generate), sorted
     */
    public record Report(String dataset, int items, CaptionScores metrics, double[] captionLatencyMs,
                         long variantBytes, List<ItemResult> results) {
        public double latencyPercentile(double p) {
            return EvalRunner.percentile(captionLatencyMs, p);
        }
    }

    private EvalRunner() {
    }

    /**
     * @param captionParams greedy by default; the fixture's reference used 24 new tokens
     * @param answerParams  for questions; the fixture's reference used 4 new tokens
     * @param progress      told the number of items done
     */
    public static Report run(Blip2Model model, EvalDataset data, GenerationParams captionParams,
                             GenerationParams answerParams, IntConsumer progress) {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        Map<String, String> captions = new LinkedHashMap<>();
        Map<String, String> answers = new LinkedHashMap<>();
        Map<String, String> predicted = new LinkedHashMap<>();
        List<ItemResult> results = new ArrayList<>();
        double[] latency = new double[data.items().size()];
        int done = 0;
        for (EvalDataset.Item item : data.items()) {
            long t0 = System.nanoTime();
            float[] pixels;
            try {
                pixels = model.preprocessor().preprocess(Files.readAllBytes(item.image()));
            } catch (IOException e) {
                throw new UncheckedIOException(item.image() + ": " + e.getMessage(), e);
            }
            CaptionBatch c = model.caption(List.of(pixels), List.of(""), captionParams);
            latency[done] = (System.nanoTime() - t0) / 1e6;
            String caption = c.images().getFirst().best().text();
            String answer = null;
            if (item.hasQuestion()) {
                answer = model.caption(List.of(pixels), List.of(item.question()), answerParams).images().getFirst().best().text();
                answers.put(item.id(), item.answer());
                predicted.put(item.id(), answer);
            }
            refs.put(item.id(), item.references());
            captions.put(item.id(), caption);
            results.add(new ItemResult(item.id(), caption, answer, latency[done]));
            progress.accept(++done);
        }
        CaptionScores metrics = answers.isEmpty()
                ? CaptionScoring.compute(refs, captions)
                : CaptionScoring.compute(refs, captions, answers, predicted);
        double[] sorted = latency.clone();
        Arrays.sort(sorted);
        return new Report(data.name(), data.items().size(), metrics, sorted, model.manifest().totalBytes(),
                Collections.unmodifiableList(results));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}

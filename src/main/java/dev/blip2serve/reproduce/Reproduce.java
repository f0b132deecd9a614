package dev.blip2serve.reproduce;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.eval.EvalRunner;
import dev.blip2serve.quantize.QuantizePipeline;
import dev.blip2serve.quantize.Recipe;
import dev.blip2serve.quantize.calibration.CalibrationSet;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code reproduce}: builds the fp32 baseline and every quantized variant of {@link Row#all()} from one
 * checkpoint, evaluates them on one dataset in the same run (captions and answers, greedy), measures their
 * fidelity to fp32 ({@link Fidelity}), and writes the seed paper's three tables ({@link ResultsWriter}). With
 * calibration draws it also rebuilds the calibrated variants that the acceptance checks compare on random subsets of
 * the calibration set, to show which orderings survive another choice of calibration images.
 */
public final class Reproduce {

    /** Caption and answer lengths: the eval command's defaults (the shapes-blip2 references used them). */
    public static final int CAPTION_TOKENS = 24;
    public static final int ANSWER_TOKENS = 4;

    /**
     * @param repo             where the variants are written ({@code <repo>/<model>/<variant>})
     * @param limit            first N dataset items (0 = all)
     * @param calibrationLimit first N calibration items (0 = all)
     * @param fidelityItems    items of the fidelity measure (the first N of the dataset)
     * @param commandLine      the command that ran, for the report
     * @param spice            scores each variant's captions with SPICE, or null to leave SPICE out
     * @param draws            calibration draws: 0, or how many times the calibrated variants of the acceptance
     *                         checks are rebuilt on {@code drawSize} calibration items drawn at random (seeds 1..N)
     * @param drawSize         items per draw (0 = three quarters of the calibration set)
     */
    public record Request(Path checkpoint, Path calibration, Path dataset, Path out, Path repo, String model,
                          List<Row> rows, int limit, int calibrationLimit, int fidelityItems, String commandLine,
                          CaptionScorer spice, int draws, int drawSize) {
        public Request {
            if (draws < 0 || drawSize < 0) {
                throw new IllegalArgumentException("--calibration-draws and --draw-size must be >= 0");
            }
            if (draws > 0 && calibrationLimit > 0) {
                throw new IllegalArgumentException("--calibration-draws draws from the whole calibration set: "
                        + "leave out --calibration-limit");
            }
        }

        /** The main run's calibration items. */
        CalibrationSet.Selection calibrationItems() {
            return CalibrationSet.Selection.first(calibrationLimit);
        }
    }

    /** A corpus-level caption metric computed outside this package (SPICE: CoreNLP and WordNet). */
    @FunctionalInterface
    public interface CaptionScorer {
        /** @return the score, or NaN when it could not be computed */
        double score(Map<String, List<String>> references, Map<String, String> captions);
    }

    /** What one row measured; {@code spice} is NaN when SPICE was not computed. */
    public record Measured(Row row, Manifest manifest, EvalRunner.Report report, Fidelity.Result fidelity,
                           int captionsEqualFp32, double buildSeconds, double spice) {
    }

    /**
     * One calibration draw: the acceptance checks' calibrated variants rebuilt on other calibration items.
     *
     * @param items the calibration items of this draw (its seed, its size)
     * @param model the model name its variants were written under ({@code <model>-draw<seed>})
     * @param rows  the rebuilt rows by variant (the uncalibrated ones are the main run's)
     */
    public record Draw(CalibrationSet.Selection items, String model, Map<String, Measured> rows) {
    }

    /** Everything measured: the rows (fp32 first) and the calibration draws (empty without them). */
    public record Results(List<Measured> rows, List<Draw> draws) {
    }

    private Reproduce() {
    }

    /** Runs everything and writes the report files. */
    public static Results run(Request req, ProgressListener progress) throws IOException {
        EvalDataset data = EvalDataset.read(req.dataset(), req.limit());
        List<Measured> measured = new ArrayList<>();
        Baseline baseline = null;
        for (Row row : req.rows()) {
            Path dir = req.repo().resolve(req.model()).resolve(row.variant());
            long t0 = System.nanoTime();
            Manifest m = row.preset() == null
                    ? Blip2Converter.convert(new Blip2Converter.Request(req.checkpoint(), dir, req.model(), row.variant(),
                            WeightPrecision.FP32, Blip2Converter.INLINE_LIMIT), progress)
                    : quantize(req, row, req.model(), dir, req.calibrationItems(), progress);
            double build = (System.nanoTime() - t0) / 1e9;
            EvalRunner.Report report = eval(dir, data, row.variant(), progress);
            if (row.preset() == null) {
                baseline = Baseline.of(report, new Fidelity(dir,
                        data.items().subList(0, Math.min(req.fidelityItems(), data.items().size())), CAPTION_TOKENS));
            }
            if (baseline == null) {
                throw new IllegalArgumentException("the first row must be the fp32 baseline");
            }
            measured.add(baseline.measure(row, dir, m, report, build, data, req.spice()));
        }
        List<Draw> draws = new ArrayList<>();
        if (req.draws() > 0) {
            int size = req.drawSize() > 0 ? req.drawSize()
                    : Math.max(1, EvalDataset.read(req.calibration(), 0).items().size() * 3 / 4);
            for (int seed = 1; seed <= req.draws(); seed++) {
                draws.add(draw(req, data, baseline, CalibrationSet.Selection.drawn(size, seed), progress));
            }
        }
        Files.createDirectories(req.out());
        ResultsWriter.write(req, data, measured, draws);
        return new Results(measured, draws);
    }

    /** Rebuilds the calibrated variants of the acceptance checks on a random draw of the calibration set. */
    private static Draw draw(Request req, EvalDataset data, Baseline baseline, CalibrationSet.Selection items,
                             ProgressListener progress) throws IOException {
        String model = req.model() + "-draw" + items.seed();
        Map<String, Measured> rows = new LinkedHashMap<>();
        for (Row row : req.rows()) {
            if (row.preset() == null || !row.preset().needsCalibration() || !ResultsWriter.CHECKED.contains(row.variant())) {
                continue;
            }
            Path dir = req.repo().resolve(model).resolve(row.variant());
            long t0 = System.nanoTime();
            Manifest m = quantize(req, row, model, dir, items, progress);
            double build = (System.nanoTime() - t0) / 1e9;
            EvalRunner.Report report = eval(dir, data, model + "/" + row.variant(), progress);
            rows.put(row.variant(), baseline.measure(row, dir, m, report, build, data, null));
        }
        return new Draw(items, model, rows);
    }

    private static Manifest quantize(Request req, Row row, String model, Path dir, CalibrationSet.Selection items,
                                     ProgressListener progress) throws IOException {
        return QuantizePipeline.run(new QuantizePipeline.Request(req.checkpoint(), dir, model, row.variant(),
                Recipe.of(row.preset(), null, null, null, row.scope(), row.clip()),
                row.preset().needsCalibration() ? req.calibration() : null, items,
                QuantizePipeline.DEFAULT_SAMPLE_ROWS, WeightPrecision.FP32, ComputePrecision.FP32), progress);
    }

    private static EvalRunner.Report eval(Path dir, EvalDataset data, String label, ProgressListener progress) {
        try (Blip2Model model = Blip2Model.open(dir, OrtOptions.cpu(), false)) {
            int n = data.items().size();
            return EvalRunner.run(model, data, model.defaultParams(CAPTION_TOKENS), model.defaultParams(ANSWER_TOKENS),
                    done -> progress.progress("eval " + label, done, n));
        }
    }

    /** The fp32 row's captions and teacher-forced log-probabilities, against which every variant is measured. */
    private record Baseline(Map<String, String> fp32Captions, Fidelity fidelity) {

        static Baseline of(EvalRunner.Report fp32, Fidelity fidelity) {
            Map<String, String> captions = new HashMap<>();
            fp32.results().forEach(r -> captions.put(r.id(), r.caption()));
            return new Baseline(captions, fidelity);
        }

        Measured measure(Row row, Path dir, Manifest m, EvalRunner.Report report, double build, EvalDataset data,
                         CaptionScorer spice) throws IOException {
            int same = 0;
            for (EvalRunner.ItemResult r : report.results()) {
                same += r.caption().equals(fp32Captions.get(r.id())) ? 1 : 0;
            }
            double score = Double.NaN;
            if (spice != null) {
                Map<String, List<String>> refs = new LinkedHashMap<>();
                Map<String, String> captions = new LinkedHashMap<>();
                data.items().forEach(i -> refs.put(i.id(), i.references()));
                report.results().forEach(r -> captions.put(r.id(), r.caption()));
                score = spice.score(refs, captions);
            }
            return new Measured(row, m, report, fidelity.compare(dir), same, build, score);
        }
    }

    /** The {@code quantize} / {@code convert} and {@code eval} commands equivalent to one row of the main run. */
    static Map<String, String> commands(Request req, Row row) {
        return commands(req, row, req.model(), req.calibrationItems());
    }

    /** The commands equivalent to one row built under {@code model} on the given calibration items. */
    static Map<String, String> commands(Request req, Row row, String model, CalibrationSet.Selection items) {
        Map<String, String> c = new LinkedHashMap<>();
        String repo = req.repo().toString();
        if (row.preset() == null) {
            c.put("build", "blip2-serve convert --checkpoint " + req.checkpoint() + " --repo " + repo + " --name "
                    + model + " --precision fp32");
        } else {
            StringBuilder b = new StringBuilder("blip2-serve quantize --checkpoint " + req.checkpoint() + " --repo " + repo
                    + " --model-name " + model + " " + String.join(" ", row.quantizeArgs()));
            if (row.preset().needsCalibration()) {
                b.append(" --calibration ").append(req.calibration());
                if (items.count() > 0) {
                    b.append(" --calibration-limit ").append(items.count());
                }
                if (items.seed() != null) {
                    b.append(" --calibration-seed ").append(items.seed());
                }
            }
            c.put("build", b.toString());
        }
        c.put("eval", "blip2-serve eval --model " + req.repo().resolve(model).resolve(row.variant()) + " --dataset "
                + req.dataset() + (req.limit() > 0 ? " --limit " + req.limit() : ""));
        return c;
    }
}

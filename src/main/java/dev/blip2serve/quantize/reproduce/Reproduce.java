package dev.blip2serve.quantize.reproduce;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.eval.EvalRunner;
import dev.blip2serve.quantize.QuantizePipeline;
import dev.blip2serve.quantize.Recipe;
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
 * fidelity to fp32 ({@link Fidelity}), and writes the seed paper's three tables ({@link ResultsWriter}).
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
     */
    public record Request(Path checkpoint, Path calibration, Path dataset, Path out, Path repo, String model,
                          List<Row> rows, int limit, int calibrationLimit, int fidelityItems, String commandLine,
                          CaptionScorer spice) {
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

    private Reproduce() {
    }

    /** Runs everything; returns the measured rows (fp32 first) after writing the report files. */
    public static List<Measured> run(Request req, ProgressListener progress) throws IOException {
        EvalDataset data = EvalDataset.read(req.dataset(), req.limit());
        Path root = req.repo().resolve(req.model());
        List<Measured> measured = new ArrayList<>();
        Fidelity fidelity = null;
        Map<String, String> fp32Captions = new HashMap<>();
        for (Row row : req.rows()) {
            Path dir = root.resolve(row.variant());
            long t0 = System.nanoTime();
            Manifest m = row.preset() == null
                    ? Blip2Converter.convert(new Blip2Converter.Request(req.checkpoint(), dir, req.model(), row.variant(),
                            WeightPrecision.FP32, Blip2Converter.INLINE_LIMIT), progress)
                    : QuantizePipeline.run(new QuantizePipeline.Request(req.checkpoint(), dir, req.model(), row.variant(),
                            Recipe.of(row.preset(), null, null, null, row.scope(), row.clip()),
                            row.preset().needsCalibration() ? req.calibration() : null, req.calibrationLimit(),
                            QuantizePipeline.DEFAULT_SAMPLE_ROWS, WeightPrecision.FP32), progress);
            double build = (System.nanoTime() - t0) / 1e9;
            EvalRunner.Report report;
            try (Blip2Model model = Blip2Model.open(dir, OrtOptions.cpu(), false)) {
                int n = data.items().size();
                report = EvalRunner.run(model, data, model.defaultParams(CAPTION_TOKENS), model.defaultParams(ANSWER_TOKENS),
                        done -> progress.progress("eval " + row.variant(), done, n));
            }
            if (row.preset() == null) {
                report.results().forEach(r -> fp32Captions.put(r.id(), r.caption()));
                List<EvalDataset.Item> items = data.items().subList(0, Math.min(req.fidelityItems(), data.items().size()));
                fidelity = new Fidelity(dir, items, CAPTION_TOKENS);
            }
            if (fidelity == null) {
                throw new IllegalArgumentException("the first row must be the fp32 baseline");
            }
            int same = 0;
            for (EvalRunner.ItemResult r : report.results()) {
                same += r.caption().equals(fp32Captions.get(r.id())) ? 1 : 0;
            }
            double spice = Double.NaN;
            if (req.spice() != null) {
                Map<String, List<String>> refs = new LinkedHashMap<>();
                Map<String, String> captions = new LinkedHashMap<>();
                data.items().forEach(i -> refs.put(i.id(), i.references()));
                report.results().forEach(r -> captions.put(r.id(), r.caption()));
                spice = req.spice().score(refs, captions);
            }
            measured.add(new Measured(row, m, report, fidelity.compare(dir), same, build, spice));
        }
        Files.createDirectories(req.out());
        ResultsWriter.write(req, data, measured);
        return measured;
    }

    /** The {@code quantize} / {@code convert} and {@code eval} commands equivalent to one row. */
    static Map<String, String> commands(Request req, Row row) {
        Map<String, String> c = new LinkedHashMap<>();
        String repo = req.repo().toString();
        if (row.preset() == null) {
            c.put("build", "blip2-serve convert --checkpoint " + req.checkpoint() + " --repo " + repo + " --name "
                    + req.model() + " --precision fp32");
        } else {
            StringBuilder b = new StringBuilder("blip2-serve quantize --checkpoint " + req.checkpoint() + " --repo " + repo
                    + " --model-name " + req.model() + " " + String.join(" ", row.quantizeArgs()));
            if (row.preset().needsCalibration()) {
                b.append(" --calibration ").append(req.calibration());
                if (req.calibrationLimit() > 0) {
                    b.append(" --calibration-limit ").append(req.calibrationLimit());
                }
            }
            c.put("build", b.toString());
        }
        c.put("eval", "blip2-serve eval --model " + req.repo().resolve(req.model()).resolve(row.variant()) + " --dataset "
                + req.dataset() + (req.limit() > 0 ? " --limit " + req.limit() : ""));
        return c;
    }
}

package dev.blip2serve.cli;

import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.eval.spice.Spice;
import dev.blip2serve.reproduce.Reproduce;
import dev.blip2serve.reproduce.Row;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code reproduce}: the seed paper's three tables on one checkpoint and dataset, in one run. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Build fp32 and every quantized preset (w4a16 also with --scope all, AWQ also without clipping), "
                + "evaluate them on one dataset, write <out>/<model>.md and .json (paper Tables 1-3).")
final class ReproduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "HF checkpoint folder")
    Path checkpoint;

    @Option(names = "--calibration", required = true, paramLabel = "JSON", description = "calibration images")
    Path calibration;

    @Option(names = "--dataset", required = true, paramLabel = "JSON", description = "evaluation set")
    Path dataset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where the tables go")
    Path out;

    @Option(names = "--repo", paramLabel = "DIR", description = "where the variants go (default: <out>/repo)")
    Path repo;

    @Option(names = "--model-name", paramLabel = "NAME", description = "model name (default: the checkpoint folder's name)")
    String modelName;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "first N dataset items (0 = all)")
    int limit;

    @Option(names = "--calibration-limit", defaultValue = "0", paramLabel = "N", description = "first N calibration items (0 = all)")
    int calibrationLimit;

    @Option(names = "--fidelity-items", defaultValue = "300", paramLabel = "N", description = "items of the teacher-forced comparison with fp32 (default: ${DEFAULT-VALUE})")
    int fidelityItems;

    @Option(names = "--no-spice", description = "do not score SPICE (it loads CoreNLP and WordNet)")
    boolean noSpice;

    @Option(names = "--calibration-draws", defaultValue = "0", paramLabel = "N",
            description = "also rebuild the calibrated variants of the acceptance checks on N random draws of the "
                    + "calibration set (seeds 1..N) and report which checks hold in how many (default: ${DEFAULT-VALUE})")
    int calibrationDraws;

    @Option(names = "--draw-size", defaultValue = "0", paramLabel = "N",
            description = "calibration items per draw (default 0: three quarters of the set)")
    int drawSize;

    @Option(names = "--variants", split = ",", paramLabel = "V[,V]", description = "only these rows (fp32 is always built)")
    List<String> variants;

    @Override
    public Integer call() throws Exception {
        if (limit < 0 || calibrationLimit < 0 || fidelityItems < 1) {
            throw new IllegalArgumentException("--limit and --calibration-limit must be >= 0, --fidelity-items >= 1");
        }
        String model = modelName != null ? modelName : checkpoint.toAbsolutePath().normalize().getFileName().toString();
        List<Row> rows = new ArrayList<>();
        for (Row r : Row.all()) {
            if (r.preset() == null || variants == null || variants.contains(r.variant())) {
                rows.add(r);
            }
        }
        if (variants != null) {
            for (String v : variants) {
                if (rows.stream().noneMatch(r -> r.variant().equals(v))) {
                    throw new IllegalArgumentException("unknown variant '" + v + "'; rows: "
                            + String.join(", ", Row.all().stream().map(Row::variant).toList()));
                }
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        ProgressBar bar = new ProgressBar(err);
        ProgressListener progress = (step, done, total) -> {
            if (step.startsWith("eval ") || step.equals("calibrate") || step.equals("search") || step.equals("clip")) {
                if (done == total) {
                    err.printf("%-24s %d / %d%n", step, done, total);
                    err.flush();
                }
            } else {
                bar.progress(step, done, total);
            }
        };
        String command = "blip2-serve " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        Reproduce.Results results = Reproduce.run(new Reproduce.Request(checkpoint, calibration, dataset, out,
                repo != null ? repo : out.resolve("repo"), model, rows, limit, calibrationLimit, fidelityItems, command,
                spiceScorer(err), calibrationDraws, drawSize), progress);
        List<Reproduce.Measured> measured = results.rows();
        bar.finishLine();
        PrintWriter o = spec.commandLine().getOut();
        double fp32 = measured.getFirst().report().metrics().ciderD().corpus();
        for (Reproduce.Measured m : measured) {
            double sp = m.spice();
            o.printf("%-14s CIDEr-D %.4f (%.3f x fp32)  SPICE %s  top-1 %.4f  %s%n", m.row().variant(),
                    m.report().metrics().ciderD().corpus(), m.report().metrics().ciderD().corpus() / fp32,
                    Double.isNaN(sp) ? "-" : String.format("%.4f", sp), m.fidelity().top1(),
                    ProgressBar.bytes(m.report().variantBytes()));
        }
        o.println("wrote " + out.resolve(model + ".md") + " and " + out.resolve(model + ".json"));
        return 0;
    }

    /**
     * SPICE per variant (CoreNLP + WordNet, loaded on the first call only; tuples cached in
     * ~/.cache/blip2-serve/spice-cache.jsonl, so references and repeated captions parse once); NaN with one warning
     * when SPICE cannot run (no CoreNLP models jar on the class path: see docs/SPICE.md).
     */
    private Reproduce.CaptionScorer spiceScorer(PrintWriter err) {
        if (noSpice) {
            return null;
        }
        Spice[] scorer = new Spice[1];
        boolean[] failed = new boolean[1];
        return (refs, captions) -> {
            if (failed[0]) {
                return Double.NaN;
            }
            try {
                if (scorer[0] == null) {
                    scorer[0] = Spice.standard(Spice.defaultCacheFile());
                }
                return scorer[0].score(refs, captions).spice();
            } catch (RuntimeException | LinkageError e) {
                failed[0] = true;
                err.println("warning: SPICE not computed: " + e.getMessage());
                return Double.NaN;
            }
        };
    }
}

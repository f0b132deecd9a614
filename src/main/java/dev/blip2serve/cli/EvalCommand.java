package dev.blip2serve.cli;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.eval.EvalRunner;
import dev.blip2serve.eval.metrics.CaptionScores;
import dev.blip2serve.eval.spice.CachedSceneGraphParser;
import dev.blip2serve.eval.spice.CoreNlpSceneGraphParser;
import dev.blip2serve.eval.spice.Spice;
import dev.blip2serve.eval.spice.SpiceReport;
import dev.blip2serve.eval.spice.WordNetSynonyms;
import dev.blip2serve.json.ProjectJson;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/** {@code eval}: caption a dataset with a variant and score it. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Caption every item of a dataset (and answer its question), print CIDEr-D, SPICE, BLEU-1..4, ROUGE-L, exact match, QA accuracy, latency and size.")
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "variant folder")
    Path model;

    @Option(names = "--dataset", required = true, paramLabel = "JSON", description = "{\"items\": [{image, references, question?, answer?}]}")
    Path dataset;

    @Option(names = "--limit", defaultValue = "0", description = "only the first N items (0 = all)")
    int limit;

    @Option(names = "--max-new-tokens", defaultValue = "24", description = "caption length limit (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--answer-max-new-tokens", defaultValue = "4", description = "answer length limit (default: ${DEFAULT-VALUE})")
    int answerMaxNewTokens;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Option(names = "--output", paramLabel = "FILE", description = "write every caption and answer to this JSON file")
    Path output;

    @Option(names = "--spice", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "score SPICE too (CoreNLP + WordNet, loaded only for this; default: ${DEFAULT-VALUE})")
    boolean spice;

    @Option(names = "--spice-cache", paramLabel = "FILE",
            description = "SPICE tuple cache (default: ~/.cache/blip2-serve/spice-cache.jsonl)")
    Path spiceCache;

    @Mixin
    GenerationOptions generation;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        EvalDataset data = EvalDataset.read(dataset, limit);
        try (Blip2Model m = Blip2Model.open(model, runtime.options(), false)) {
            ProgressBar bar = ProgressBar.items(err);
            int n = data.items().size();
            EvalRunner.Report r = EvalRunner.run(m, data, generation.params(m, maxNewTokens),
                    generation.params(m, answerMaxNewTokens), done -> bar.progress("eval", done, n));
            bar.finishLine();
            Map<String, Object> report = report(m, r);
            if (spice) {
                addSpice(report, data, r, err);
            }
            JsonMapper mapper = ProjectJson.pretty();
            if (output != null) {
                Map<String, Object> file = new LinkedHashMap<>();
                file.put("report", report);
                file.put("items", r.results());
                Files.writeString(output, mapper.writeValueAsString(file));
            }
            if (json) {
                out.println(mapper.writeValueAsString(report));
            } else {
                report.forEach((k, v) -> out.printf("%-18s %s%n", k, v instanceof Double d ? String.format("%.6f", d) : v));
            }
        }
        return 0;
    }

    /** SPICE beside CIDEr-D; a SPICE that cannot run (no models jar) is a warning, not a lost eval. */
    private void addSpice(Map<String, Object> report, EvalDataset data, EvalRunner.Report r, PrintWriter err) {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        data.items().forEach(i -> refs.put(i.id(), i.references()));
        Map<String, String> captions = new LinkedHashMap<>();
        r.results().forEach(i -> captions.put(i.id(), i.caption()));
        try {
            CachedSceneGraphParser parser = new CachedSceneGraphParser(new CoreNlpSceneGraphParser(
                    Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()))),
                    spiceCache != null ? spiceCache : Spice.defaultCacheFile());
            Spice s = new Spice(parser, WordNetSynonyms.withHypernyms());
            long t0 = System.nanoTime();
            SpiceReport sr = s.score(refs, captions);
            Map<String, Object> ordered = new LinkedHashMap<>();
            report.forEach((k, v) -> {
                ordered.put(k, v);
                if (k.equals(CaptionScores.CIDER_D)) {
                    ordered.put("spice", sr.spice());
                }
            });
            ordered.put("spice_ms", (System.nanoTime() - t0) / 1_000_000);
            report.clear();
            report.putAll(ordered);
            if (parser.writeError() != null) {
                err.println("warning: " + parser.writeError());
            }
        } catch (RuntimeException | LinkageError e) {
            err.println("warning: SPICE not computed: " + e.getMessage());
        }
    }

    private Map<String, Object> report(Blip2Model m, EvalRunner.Report r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", m.manifest().model());
        o.put("precision", m.manifest().precision());
        o.put("dataset", r.dataset());
        o.put("items", r.items());
        r.metrics().corpusByKey().forEach((k, v) -> {
            if (v != null) {
                o.put(k, v);
            }
        });
        o.put("latency_p50_ms", r.latencyPercentile(50));
        o.put("latency_p95_ms", r.latencyPercentile(95));
        o.put("bytes_on_disk", r.variantBytes());
        return o;
    }
}

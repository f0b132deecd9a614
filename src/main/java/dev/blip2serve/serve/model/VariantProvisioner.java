package dev.blip2serve.serve.model;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.quantize.Preset;
import dev.blip2serve.quantize.QuantizePipeline;
import dev.blip2serve.quantize.Recipe;
import dev.blip2serve.quantize.calibration.CalibrationSet;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.serve.ServeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Makes the quantized variants of a model in the background, while the service serves the ones it has: for each
 * missing preset, quantize from the checkpoint (the {@code quantize} pipeline), score it on the eval set, file the
 * scores in its manifest's {@code quality}, and only then move the finished folder into the repository (one atomic
 * rename) and hand it to the loader. Variants already in the repository are never rebuilt; serving variants the job
 * names (the float ones) are scored after the builds where their manifest lacks the eval set's numbers.
 *
 * <p>Safety across restarts: a variant is built in {@code <model>/.building-<preset>-*}, a hidden folder the loader
 * skips, so a half-built variant is never served; the next start discards such folders and builds what is missing.
 * One build at a time (jobs queue), on {@code blip2.auto-quantize.threads} cores at a raised nice value
 * ({@link LowPriorityThreads}), so requests keep the CPU. A preset that fails is FAILED with the reason (and logged);
 * the next one is built. Shutting down stops a running build at its next progress report.
 */
@Component
public class VariantProvisioner implements DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(VariantProvisioner.class);
    static final String TEMP_PREFIX = ".building-";
    private static final Duration STOP_WAIT = Duration.ofSeconds(20);

    /**
     * The data a job calibrates on and scores with.
     *
     * @param calibration      calibration JSON ({@code {"items": [{image, references}]}})
     * @param calibrationLimit its first N items (0 = all)
     * @param evalName         what the scores are filed under, e.g. {@code shapes-blip2/eval}
     * @param eval             eval JSON, or null to build without scores
     * @param evalLimit        its first N items (0 = all); the name then gets {@code [:N]}
     */
    public record Datasets(Path calibration, int calibrationLimit, String evalName, Path eval, int evalLimit) {
    }

    /**
     * What to provision for one model.
     *
     * @param model      the model's name, its folder in the repository
     * @param checkpoint the Hugging Face checkpoint folder the presets are quantized from
     * @param score      variants already in the repository (e.g. {@code fp32}, {@code fp16}) to score when READY and
     *                   unscored; each is opened a second time for it
     * @param presets    quantize preset names ({@link Preset#label()}) to build where the repository lacks them
     * @param data       calibration and eval sets
     * @param load       starts serving a built variant; must run it on a thread of normal priority
     *                   ({@link VariantLoader#loadLater}), never on the caller's, whose nice value it would inherit
     * @param whenDone   runs after the job, failed or not (e.g. deletes a copied checkpoint)
     */
    public record Job(String model, Path checkpoint, List<String> score, List<String> presets, Datasets data,
                      Consumer<Variant> load, Runnable whenDone) {
        public Job {
            score = List.copyOf(score);
            presets = List.copyOf(presets);
        }

        /** {@code text} without the job's folders: reasons are shown in {@code /v1/models}, server paths are not. */
        String redact(String text) {
            String out = text;
            out = replace(out, checkpoint, "the checkpoint");
            out = replace(out, data.calibration() == null ? null : data.calibration().getParent(), "the calibration set");
            return replace(out, data.eval() == null ? null : data.eval().getParent(), "the eval set");
        }

        private static String replace(String text, Path folder, String name) {
            if (folder == null) {
                return text;
            }
            return text.replace(folder.toAbsolutePath().toString(), name).replace(folder.toString(), name);
        }
    }

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final ExecutorService jobs = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("blip2-provision").daemon(true).factory());
    private final ForkJoinPool workers;
    private volatile boolean stopping;

    public VariantProvisioner(ServeProperties properties, ModelRegistry registry) {
        this.properties = properties;
        this.registry = registry;
        ServeProperties.AutoQuantize auto = properties.autoQuantize();
        this.workers = LowPriorityThreads.pool("blip2-build", auto.effectiveThreads(), auto.nice());
    }

    /**
     * Lists the job's missing presets as BUILDING at once (so {@code /v1/models} shows them queued) and runs the
     * job after those submitted before it. The future completes when the job is done; failures are in the
     * variants' states, not in the future.
     */
    public CompletableFuture<Void> submit(Job job) {
        List<Variant> queued = new ArrayList<>();
        Path modelDir = properties.repository().resolve(job.model());
        for (String name : job.presets()) {
            Variant v = queue(modelDir, job.model(), name);
            if (v != null) {
                queued.add(v);
            }
        }
        for (int i = 0; i < queued.size(); i++) {
            queued.get(i).building("queued for building (" + (i + 1) + " of " + queued.size() + ")");
        }
        return CompletableFuture.runAsync(() -> run(job, modelDir, queued), jobs);
    }

    /** The variant to build for {@code name}, or null when the repository has it already (or the name is unusable). */
    private Variant queue(Path modelDir, String model, String name) {
        if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
            LOG.error("{}: '{}' is not a preset name; skipped", model, name);
            return null;
        }
        String label;
        try {
            label = Preset.parse(name).label();
        } catch (IllegalArgumentException e) {
            Variant v = registry.register(new VariantKey(model, name), modelDir.resolve(name));
            v.failed("cannot build in the background: " + e.getMessage(), null);
            LOG.error("{}: {}", v.key(), v.status().reason());
            return null;
        }
        Path dir = modelDir.resolve(label);
        if (Files.exists(dir)) {
            return null; // the loader serves it, or reports why not; never rebuilt over
        }
        return registry.register(new VariantKey(model, label), dir);
    }

    private void run(Job job, Path modelDir, List<Variant> queued) {
        try {
            discardLeftovers(modelDir);
            VariantQuality.EvalSet set = evalSet(job);
            for (Variant v : queued) {
                if (stopping) {
                    v.failed("service shutting down before it was built", null);
                } else {
                    build(job, modelDir, v, set);
                }
            }
            // After the builds: the quantized variants, which /v1/models shows queued, come first.
            for (String name : job.score()) {
                if (!stopping) {
                    scoreServing(job, name, set);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: background provisioning stopped", job.model(), e);
            queued.stream().filter(v -> v.state() == VariantState.BUILDING)
                    .forEach(v -> v.failed("background provisioning stopped: " + message(e), null));
        } finally {
            job.whenDone().run();
        }
    }

    private VariantQuality.EvalSet evalSet(Job job) {
        Datasets d = job.data();
        if (d.eval() == null) {
            return null;
        }
        try {
            return VariantQuality.EvalSet.read(d.evalName(), d.eval(), d.evalLimit());
        } catch (IllegalArgumentException e) {
            LOG.error("{}: the eval set cannot be read, variants get no quality: {}", job.model(), e.getMessage());
            return null;
        }
    }

    private void build(Job job, Path modelDir, Variant v, VariantQuality.EvalSet set) {
        String name = v.key().variant();
        Path temp = null;
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(modelDir);
            temp = Files.createTempDirectory(modelDir, TEMP_PREFIX + name + "-");
            Path dir = temp;
            Recipe recipe = Recipe.of(Preset.parse(name), null, null, null, null);
            Datasets d = job.data();
            ProgressListener progress = stoppable(new ConversionProgress(v, "quantizing (background)", true));
            Manifest m = onWorkers(() -> QuantizePipeline.run(new QuantizePipeline.Request(job.checkpoint(), dir,
                    job.model(), name, recipe, recipe.preset().needsCalibration() ? d.calibration() : null,
                    CalibrationSet.Selection.first(d.calibrationLimit()), QuantizePipeline.DEFAULT_SAMPLE_ROWS,
                    WeightPrecision.FP32, ComputePrecision.FP32), progress));
            long built = System.nanoTime();
            String scores = "";
            if (set != null) {
                Map<String, Double> q = onWorkers(() -> VariantQuality.measure(dir, set, evalOptions(),
                        scoring(v, set, true)));
                m = VariantQuality.withQuality(m, set.label(), q);
                ManifestIo.write(dir, m);
                scores = String.format(", scored in %.1f s (%s CIDEr-D %.4f)", (System.nanoTime() - built) / 1e9,
                        set.label(), q.get("cider_d"));
            }
            Files.move(temp, v.dir(), StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            LOG.info("{}: quantized in the background in {} s{}; loading", v.key(),
                    String.format("%.1f", (built - t0) / 1e9), scores);
            v.loading("built; queued for loading");
            job.load().accept(v);
        } catch (Exception | OutOfMemoryError | LinkageError e) {
            String reason = stopping ? "service shutting down before it was built"
                    : "building in the background failed: " + job.redact(message(e));
            v.failed(reason, null);
            if (stopping) {
                LOG.info("{}: {}", v.key(), reason);
            } else {
                LOG.error("{}: {}", v.key(), reason, e);
            }
        } finally {
            if (temp != null) {
                deleteTree(temp);
            }
        }
    }

    /** Scores a serving variant whose manifest lacks the set's numbers, and files them in its manifest. */
    private void scoreServing(Job job, String name, VariantQuality.EvalSet set) {
        Variant v = registry.find(job.model(), name).orElse(null);
        if (set == null || v == null || v.state() != VariantState.READY
                || VariantQuality.hasQuality(v.status().manifest(), set.label())) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            Map<String, Double> q = onWorkers(() -> VariantQuality.measure(v.dir(), set, evalOptions(),
                    scoring(v, set, false)));
            Manifest m = VariantQuality.withQuality(ManifestIo.read(v.dir()), set.label(), q);
            ManifestIo.write(v.dir(), m);
            v.manifestUpdated(m);
            registry.bindQuality(v, m);
            LOG.info("{}: scored in the background in {} s ({} CIDEr-D {})", v.key(),
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9), set.label(), String.format("%.4f", q.get("cider_d")));
        } catch (Exception | OutOfMemoryError | LinkageError e) {
            if (!stopping) {
                LOG.error("{}: scoring in the background failed; it keeps serving without quality: {}", v.key(), message(e), e);
            }
        }
    }

    /** The eval's sessions: the service's provider, the build's cores. */
    private OrtOptions evalOptions() {
        OrtOptions ort = properties.ort().options();
        return new OrtOptions(properties.autoQuantize().effectiveThreads(), ort.cuda(), ort.cudaDevice(), ort.cudaMemoryLimit());
    }

    /** Eval progress: the BUILDING variant's detail at every item, the log at every quarter. */
    private IntConsumer scoring(Variant v, VariantQuality.EvalSet set, boolean building) {
        int n = set.size();
        int[] quarter = {-1};
        return done -> {
            if (stopping) {
                throw new CancellationException("service shutting down");
            }
            String text = "scoring on " + set.label() + ": " + done + " / " + n + " captions";
            if (building) {
                v.building(text);
            }
            int q = done * 4 / Math.max(1, n);
            if (q != quarter[0]) {
                quarter[0] = q;
                LOG.info("{}: {}", v.key(), text);
            }
        };
    }

    private ProgressListener stoppable(ProgressListener inner) {
        return (step, done, total) -> {
            if (stopping) {
                throw new CancellationException("service shutting down");
            }
            inner.progress(step, done, total);
        };
    }

    /** Runs {@code task} on the low-priority pool, so its parallel streams and ONNX Runtime threads are low priority. */
    private <T> T onWorkers(Callable<T> task) throws Exception {
        try {
            return workers.submit(task).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            // A fork-join task rethrows a copy of the task's exception wrapping the original: report the original.
            if (cause.getCause() != null && cause.getCause().getClass() == cause.getClass()) {
                cause = cause.getCause();
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw cause instanceof Exception x ? x : new IllegalStateException(cause);
        }
    }

    /** Folders of builds a previous run did not finish. */
    static void discardLeftovers(Path modelDir) throws IOException {
        if (!Files.isDirectory(modelDir)) {
            return;
        }
        try (Stream<Path> s = Files.list(modelDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) {
                LOG.info("{}: discarding an unfinished background build", p);
                deleteTree(p);
            }
        }
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", root, e.getMessage());
        }
    }

    /**
     * Stops at shutdown: a running build ends at its next progress report, and this waits for it (bounded), so no
     * build's ONNX Runtime session is open when the JVM releases ONNX Runtime's environment.
     */
    @Override
    public void destroy() throws InterruptedException {
        stopping = true;
        jobs.shutdown();
        if (!jobs.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("a background build did not stop within {}", STOP_WAIT);
        }
        workers.shutdownNow();
    }
}

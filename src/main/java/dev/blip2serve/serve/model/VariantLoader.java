package dev.blip2serve.serve.model;

import dev.blip2serve.bench.ProcessMemory;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.repository.RepositoryException;
import dev.blip2serve.serve.ServeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Fills the registry once the application is up, on a background thread so liveness and {@code /v1/models}
 * answer while big variants verify and load: builds the bundled default if needed, registers every
 * {@code <repo>/<model>/<variant>/} as LOADING, then opens each (verifying its manifest), warms it up and marks
 * it READY, or FAILED with the reason. The default variant goes first, since readiness waits for it. Then the
 * bundled model's quantized variants are built in the background ({@link VariantProvisioner}); each is loaded here
 * when done. Loads run on one thread of normal priority, started with the application, because threads inherit their
 * creator's Linux nice value and a variant's ONNX Runtime threads are created while it opens.
 */
@Component
@ConditionalOnBooleanProperty(name = "blip2.load-on-startup", matchIfMissing = true)
public class VariantLoader {

    private static final Logger LOG = LoggerFactory.getLogger(VariantLoader.class);

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final RepositoryBootstrap bootstrap;
    private final VariantProvisioner provisioner;
    private final ThreadPoolExecutor loads;

    public VariantLoader(ServeProperties properties, ModelRegistry registry, RepositoryBootstrap bootstrap,
                         VariantProvisioner provisioner) {
        this.properties = properties;
        this.registry = registry;
        this.bootstrap = bootstrap;
        this.provisioner = provisioner;
        this.loads = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                Thread.ofPlatform().name("blip2-loader").daemon(true).factory());
        loads.prestartAllCoreThreads(); // here, on a thread of normal priority (see the class comment)
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        loads.execute(() -> {
            loadAll();
            provisionBundled();
        });
    }

    /** Opens a variant that was built while the service ran, after the loads queued before it. */
    public void loadLater(Variant v) {
        loads.execute(() -> load(v));
    }

    void loadAll() {
        Path repository = properties.repository();
        try {
            Files.createDirectories(repository);
            scan(repository);
            bootstrap.run();
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot prepare the model repository {}", repository, e);
        }
        List<Variant> pending = new ArrayList<>();
        try {
            pending.addAll(scan(repository));
        } catch (IOException e) {
            LOG.error("cannot list the model repository {}", repository, e);
        }
        VariantKey first = new VariantKey(properties.defaultModel(), properties.defaultPrecision());
        pending.sort(Comparator.comparing((Variant v) -> !v.key().equals(first)).thenComparing(Variant::key));
        for (Variant v : pending) {
            if (v.state() == VariantState.LOADING) {
                load(v);
            }
        }
        if (registry.defaultVariant().isEmpty()) {
            LOG.warn("the default variant {} is not in {}: the service will not become ready", first, repository);
        }
    }

    /**
     * Background work for the bundled model (blip2.auto-quantize): its missing presets, and quality for the variants
     * the bootstrap makes, from copies of the bundled checkpoint and data sets (deleted when the job ends).
     */
    void provisionBundled() {
        ServeProperties.AutoQuantize auto = properties.autoQuantize();
        if (auto.presets().isEmpty()) {
            return;
        }
        Path work = null;
        try {
            work = Files.createTempDirectory("blip2-provision-");
            Path checkpoint = work.resolve("checkpoint");
            EmbeddedCheckpoint.copyTo(checkpoint, VariantLoader.class.getClassLoader());
            EmbeddedDatasets.Paths data = EmbeddedDatasets.copyTo(work.resolve("data"), VariantLoader.class.getClassLoader());
            Path toDelete = work;
            provisioner.submit(new VariantProvisioner.Job(EmbeddedCheckpoint.MODEL, checkpoint,
                    properties.bootstrapVariants(), auto.presets(),
                    new VariantProvisioner.Datasets(data.calibration(), auto.calibrationLimit(),
                            EmbeddedDatasets.EVAL_NAME, data.eval(), auto.evalLimit()),
                    this::loadLater, () -> VariantProvisioner.deleteTree(toDelete)));
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot start building {}'s quantized variants {}: {}", EmbeddedCheckpoint.MODEL, auto.presets(),
                    e.getMessage(), e);
            if (work != null) {
                VariantProvisioner.deleteTree(work);
            }
        }
    }

    /** Registers every variant folder (hidden folders skipped) and returns them. */
    private List<Variant> scan(Path repository) throws IOException {
        List<Variant> found = new ArrayList<>();
        for (Path model : folders(repository)) {
            for (Path dir : folders(model)) {
                found.add(registry.register(new VariantKey(model.getFileName().toString(), dir.getFileName().toString()), dir));
            }
        }
        return found;
    }

    private static List<Path> folders(Path parent) throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    private void load(Variant v) {
        long start = System.nanoTime();
        Manifest manifest = null;
        CaptionModel model = null;
        try {
            manifest = ManifestIo.read(v.dir());
            registry.bindQuality(v, manifest);
            v.loading(properties.verify() ? "verifying and opening" : "opening");
            long residentBefore = ProcessMemory.residentBytes();
            GpuMemoryMetrics.Snapshot gpuBefore = registry.gpu().snapshot();
            model = OrtCaptionModel.open(v.dir(), properties.ort().options(), properties.verify());
            if (properties.warmUp()) {
                v.loading("warming up");
                model.warmUp();
                RequestPathWarmUp.run(model, properties.limits().maxPixels());
            }
            long residentAfter = ProcessMemory.residentBytes();
            if (residentBefore >= 0 && residentAfter >= 0) {
                v.loadResidentDeltaBytes(residentAfter - residentBefore);
            }
            GpuMemoryMetrics.Snapshot gpuAfter = registry.gpu().snapshot();
            if (registry.gpu().active()) {
                v.loadGpuDeltaBytes(GpuMemoryMetrics.loadDelta(gpuBefore, gpuAfter));
            }
            v.ready(model);
            SaturatingInt8Check.warning(manifest).ifPresent(w -> LOG.warn("{}: {}", v.key(), w));
            LOG.info("{}: ready in {} ms ({} bytes on disk, process RSS {} -> {} bytes{})", v.key(),
                    (System.nanoTime() - start) / 1_000_000, manifest.totalBytes(), residentBefore, residentAfter,
                    registry.gpu().active() ? ", GPU memory " + gpuBefore + " -> " + gpuAfter : "");
        } catch (RepositoryException e) {
            fail(v, reason(e, v.dir()), manifest, model, null);
        } catch (RuntimeException | LinkageError e) {
            // ORT native errors (UnsatisfiedLinkError) and engine bugs must not stop the other variants.
            fail(v, "cannot load: " + e.getMessage(), manifest, model, e);
        }
    }

    private static void fail(Variant v, String reason, Manifest manifest, CaptionModel model, Throwable cause) {
        if (model != null) {
            model.close();
        }
        v.failed(reason, manifest);
        if (cause != null) {
            LOG.error("{}: failed: {}", v.key(), reason, cause);
        } else {
            LOG.error("{}: failed: {}", v.key(), reason);
        }
    }

    /** The exception's reason without the absolute folder it starts with: clients see it in /v1/models. */
    static String reason(RepositoryException e, Path dir) {
        String m = String.valueOf(e.getMessage());
        String prefix = dir + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}

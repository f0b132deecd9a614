package dev.blip2serve.serve.model;

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
 * it READY, or FAILED with the reason. The default variant goes first, since readiness waits for it.
 */
@Component
@ConditionalOnBooleanProperty(name = "blip2.load-on-startup", matchIfMissing = true)
public class VariantLoader {

    private static final Logger LOG = LoggerFactory.getLogger(VariantLoader.class);

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final RepositoryBootstrap bootstrap;

    public VariantLoader(ServeProperties properties, ModelRegistry registry, RepositoryBootstrap bootstrap) {
        this.properties = properties;
        this.registry = registry;
        this.bootstrap = bootstrap;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        Thread.ofPlatform().name("blip2-loader").daemon(true).start(this::loadAll);
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

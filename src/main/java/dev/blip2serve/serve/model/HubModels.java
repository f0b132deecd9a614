package dev.blip2serve.serve.model;

import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.hub.HubClient;
import dev.blip2serve.hub.HubException;
import dev.blip2serve.hub.HubListener;
import dev.blip2serve.hub.HubSettings;
import dev.blip2serve.hub.PrequantizedVariants;
import dev.blip2serve.hub.RepoId;
import dev.blip2serve.hub.Snapshot;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.ServeProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * The models of {@code blip2.models[]}, named by hub repository id: on start, each precision the repository lacks is
 * listed BUILDING, and one background thread downloads the repository into the hub cache (progress in the variants'
 * detail and the log), then converts the float precisions from the checkpoint (into a hidden folder renamed when
 * complete) and hands the quantize presets to {@link VariantProvisioner}, or, for a repository of pre-quantized
 * variants, verifies them against their manifests and installs them. A precision already in the repository is served
 * from there and never fetched again, so later starts need no network.
 */
@Component
public class HubModels {

    private static final Logger LOG = LoggerFactory.getLogger(HubModels.class);

    private final ServeProperties properties;
    private final ModelRegistry registry;
    private final VariantProvisioner provisioner;
    private final ObjectProvider<VariantLoader> loader;

    public HubModels(ServeProperties properties, ModelRegistry registry, VariantProvisioner provisioner,
                     ObjectProvider<VariantLoader> loader) {
        this.properties = properties;
        this.registry = registry;
        this.provisioner = provisioner;
        this.loader = loader;
    }

    /**
     * Runs before {@link VariantLoader#start} (listeners of one event run in order, on this thread), so what is
     * fetched is BUILDING before the loader scans the repository and is never loaded half-made. Without the loader
     * ({@code blip2.load-on-startup=false}) nothing is fetched.
     */
    @EventListener(ApplicationReadyEvent.class)
    @Order(Ordered.HIGHEST_PRECEDENCE)
    public void onReady() {
        loader.ifAvailable(l -> start(l::loadLater));
    }

    /**
     * Lists what is missing and starts fetching it; {@code load} opens a variant once it is in the repository (it must
     * not run on the caller's thread, see {@link VariantLoader#loadLater}). Returns the thread, or null if nothing is
     * missing.
     */
    public Thread start(Consumer<Variant> load) {
        Map<ServeProperties.HubModel, List<Variant>> work = new java.util.LinkedHashMap<>();
        for (ServeProperties.HubModel m : properties.models()) {
            Path modelDir = properties.repository().resolve(m.name());
            List<Variant> missing = new ArrayList<>();
            for (String p : m.precisions()) {
                Path dir = modelDir.resolve(p);
                if (!Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
                    Variant v = registry.register(new VariantKey(m.name(), p), dir);
                    v.building("queued: " + m.source() + " from the hub");
                    missing.add(v);
                }
            }
            if (!missing.isEmpty() || (m.precisions().isEmpty() && !hasVariants(modelDir))) {
                work.put(m, missing);
            }
        }
        if (work.isEmpty()) {
            return null;
        }
        return Thread.ofPlatform().name("blip2-hub").daemon(true).start(() -> work.forEach((m, v) -> provision(m, v, load)));
    }

    void provision(ServeProperties.HubModel m, List<Variant> missing, Consumer<Variant> load) {
        HubSettings settings = properties.hub().settings();
        try {
            LOG.info("{}: fetching {}@{} from {} into {}", m.name(), m.source(), m.revision(), settings.endpoint(), settings.cacheDir());
            Snapshot snap = new HubClient(settings, new Progress(m, missing)).pull(new RepoId(m.source()), m.revision());
            LOG.info("{}: {} at commit {}: {} files, {} bytes ({} downloaded)", m.name(), m.source(), snap.commit(),
                    snap.files().size(), snap.bytes(), snap.fetched());
            List<PrequantizedVariants.Found> variants = PrequantizedVariants.verify(snap.dir());
            if (!variants.isEmpty()) {
                install(m, variants, missing, load);
            } else if (PrequantizedVariants.isCheckpoint(snap.dir())) {
                build(m, snap.dir(), missing, load);
            } else {
                throw new HubException(HubException.Kind.BAD_INPUT, m.source() + " is neither a checkpoint nor a "
                        + "repository of variants with manifests");
            }
        } catch (IOException | RuntimeException e) {
            String reason = redact(e.getMessage() == null ? e.toString() : e.getMessage(), settings);
            if (e instanceof HubException) {
                LOG.error("{}: providing {} from the hub failed: {}", m.name(), m.source(), reason); // one line says it
            } else {
                LOG.error("{}: providing {} from the hub failed: {}", m.name(), m.source(), reason, e);
            }
            missing.stream().filter(v -> v.state() == VariantState.BUILDING)
                    .forEach(v -> v.failed("from the hub (" + m.source() + "): " + reason, null));
        }
    }

    private void install(ServeProperties.HubModel m, List<PrequantizedVariants.Found> variants, List<Variant> missing,
                         Consumer<Variant> load) throws IOException {
        for (PrequantizedVariants.Found f : variants) {
            String name = f.manifest().precision();
            Path target = properties.repository().resolve(m.name()).resolve(name);
            if ((!m.precisions().isEmpty() && !m.precisions().contains(name)) || Files.isRegularFile(target.resolve(Manifest.FILE_NAME))) {
                continue;
            }
            Variant v = registry.register(new VariantKey(m.name(), name), target);
            v.building("verified against its manifest; installing");
            PrequantizedVariants.install(f, properties.repository(), m.name());
            LOG.info("{}: installed the hub's verified variant {}", m.name(), name);
            load.accept(v);
        }
        missing.stream().filter(v -> v.state() == VariantState.BUILDING && !Files.isDirectory(v.dir()))
                .forEach(v -> v.failed(m.source() + " has no variant '" + v.key().variant() + "'", null));
    }

    private void build(ServeProperties.HubModel m, Path checkpoint, List<Variant> missing, Consumer<Variant> load) throws IOException {
        List<String> presets = new ArrayList<>();
        for (Variant v : missing) {
            FloatVariant floats;
            try {
                floats = FloatVariant.parse(v.key().variant());
            } catch (IllegalArgumentException notFloat) {
                presets.add(v.key().variant());
                continue;
            }
            convert(m, checkpoint, v, floats, load);
        }
        if (presets.isEmpty()) {
            return;
        }
        Path work = Files.createTempDirectory("blip2-hub-data-");
        EmbeddedDatasets.Paths data = EmbeddedDatasets.copyTo(work, HubModels.class.getClassLoader());
        ServeProperties.AutoQuantize auto = properties.autoQuantize();
        provisioner.submit(new VariantProvisioner.Job(m.name(), checkpoint, List.of(), presets,
                new VariantProvisioner.Datasets(data.calibration(), auto.calibrationLimit(), EmbeddedDatasets.EVAL_NAME,
                        data.eval(), auto.evalLimit()), load, () -> VariantProvisioner.deleteTree(work)));
    }

    private void convert(ServeProperties.HubModel m, Path checkpoint, Variant v, FloatVariant floats, Consumer<Variant> load) {
        Path staging = v.dir().resolveSibling(".pulling-" + v.key().variant());
        try {
            VariantProvisioner.deleteTree(staging);
            Blip2Converter.convert(new Blip2Converter.Request(checkpoint, staging, m.name(), v.key().variant(),
                    floats.weights(), Blip2Converter.INLINE_LIMIT, floats.compute()), (step, done, total) -> {
                        int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
                        v.building("converting: " + step + " " + percent + "%");
                    });
            Files.move(staging, v.dir(), StandardCopyOption.ATOMIC_MOVE);
            LOG.info("{}: converted from {}", v.key(), m.source());
            load.accept(v);
        } catch (IOException | RuntimeException e) {
            VariantProvisioner.deleteTree(staging);
            LOG.error("{}: converting {} failed", v.key(), m.source(), e);
            v.failed("converting " + m.source() + " failed: " + e.getMessage(), null);
        }
    }

    private static boolean hasVariants(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            return false;
        }
        try (Stream<Path> dirs = Files.list(modelDir)) {
            return dirs.anyMatch(d -> Files.isRegularFile(d.resolve(Manifest.FILE_NAME)));
        } catch (IOException e) {
            return false;
        }
    }

    /** Reasons are shown in {@code /v1/models}: the server's cache folder is not. */
    private static String redact(String text, HubSettings settings) {
        return text.replace(settings.cacheDir().toAbsolutePath().normalize().toString(), "the hub cache")
                .replace(settings.cacheDir().toString(), "the hub cache");
    }

    /** Download progress as the waiting variants' detail, and in the log each quarter of a file. */
    private static final class Progress implements HubListener {
        private final ServeProperties.HubModel model;
        private final List<Variant> variants;
        private final Map<String, Integer> quarters = new ConcurrentHashMap<>();

        Progress(ServeProperties.HubModel model, List<Variant> variants) {
            this.model = model;
            this.variants = variants;
        }

        @Override
        public void progress(String file, long done, long total) {
            int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
            String text = "downloading " + model.source() + ": " + file + " " + percent + "%";
            variants.forEach(v -> v.building(text));
            Integer q = percent / 25;
            if (!q.equals(quarters.put(file, q))) {
                LOG.info("{}: {} ({} of {} bytes)", model.name(), text, done, total);
            }
        }

        @Override
        public void retrying(String what, int attempt, Duration wait, String reason) {
            LOG.warn("{}: {}: {}; retry {} in {} ms", model.name(), what, reason, attempt, wait.toMillis());
        }
    }
}
